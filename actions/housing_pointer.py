"""Points ordinary housing questions to the landlord's usual channels.

Domestic abuse never goes this way (it is not anti-social behaviour). A housing question that
names a partner, an ex or a family member ("can someone fix the door my ex kicked in") may be
how abuse is first raised, so it gets the options and the offer to report instead: a classifier
that read it as a plain repair must not deflect it.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.case_service import get_org
from actions.housing_options import names_someone_close, utter_options


class ActionHousingPointer(Action):
    """Uses the organisation's own contact text when the case service has it."""

    def name(self) -> str:
        return "action_housing_pointer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if names_someone_close(tracker.latest_message.get("text") or ""):
            await utter_options(dispatcher, tracker, acknowledge=True)
            return []
        org = await get_org()
        contact_text = (org or {}).get("contact_text")
        if contact_text:
            dispatcher.utter_message(response="utter_housing_pointer", contact_text=contact_text)
        else:
            dispatcher.utter_message(response="utter_housing_pointer_generic")
        return []
