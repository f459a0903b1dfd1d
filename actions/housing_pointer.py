"""Points ordinary housing questions to the landlord's usual channels.

Domestic abuse never goes this way (it is not anti-social behaviour); this is for repairs,
rent, bins and the like.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.case_service import get_org


class ActionHousingPointer(Action):
    """Uses the organisation's own contact text when the case service has it."""

    def name(self) -> str:
        return "action_housing_pointer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        org = await get_org()
        contact_text = (org or {}).get("contact_text")
        if contact_text:
            dispatcher.utter_message(response="utter_housing_pointer", contact_text=contact_text)
        else:
            dispatcher.utter_message(response="utter_housing_pointer_generic")
        return []
