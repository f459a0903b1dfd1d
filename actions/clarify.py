"""What the bot says when it did not understand: choices, never a dead end."""

from __future__ import annotations

import contextlib

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.case_service import CaseServiceError, get_helplines
from actions.fallback_line import nation_line
from actions.signpost import nation_for, utter_helplines
from actions.signpost_needs import specialist_need


class ActionClarify(Action):
    """Menu buttons plus the nation's 24-hour line (the last one seen if the service is down).

    Runs for NLU fallback and as RulePolicy's core fallback. When the message names a specialist
    need (a deaf person, a man, LGBT+...), or the classifier's best guess was a specialist
    helpline, that helpline comes first: an unsure classifier must not cost a person the number.
    As the core fallback it reverts the user's turn, as Rasa's own default fallback does:
    otherwise nothing predicts listening next, the fallback fires again and the person gets the
    same reply ten times.
    """

    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        nation = await nation_for(tracker)
        need = specialist_need(tracker.get_intent_of_latest_message(), _text(tracker))
        if need:
            with contextlib.suppress(CaseServiceError):  # the 24-hour line below still comes
                utter_helplines(dispatcher, await get_helplines(need, nation))
        try:
            helplines = await get_helplines("general", nation)
        except CaseServiceError:
            helplines = []
        first = helplines[0] if helplines else await nation_line() or {}
        name = first.get("name") or first.get("helpline_name")
        contact = first.get("contact") or first.get("helpline_contact")
        if name and contact:
            dispatcher.utter_message(
                response="utter_clarify", helpline_name=name, helpline_contact=contact
            )
        else:
            dispatcher.utter_message(response="utter_clarify_fallback")
        if (tracker.latest_message.get("intent") or {}).get("name") == "nlu_fallback":
            return []
        return [UserUtteranceReverted()]


def _text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""
