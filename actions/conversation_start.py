"""The first steps after someone opens up: believe them, check it is safe, offer choices.

Trauma-informed practice (DOMAIN.md): validate first, never push for detail, and ask whether it
is safe to talk before any free text. The answer is kept in `safe_to_talk`, so the report form
does not ask it again.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.message_metadata import latest_intent


class ActionAcknowledge(Action):
    """ "Thank you for telling me", then the choices, or first the safety question."""

    def name(self) -> str:
        return "action_acknowledge"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_acknowledge")
        if tracker.get_slot("safe_to_talk") == "yes":
            dispatcher.utter_message(response="utter_how_can_i_help")
        else:
            dispatcher.utter_message(response="utter_ask_safe_to_talk")
        return []


class ActionSafeToTalk(Action):
    """Keeps the answer to "is it safe to talk?": yes -> the choices, no -> how to leave."""

    def name(self) -> str:
        return "action_safe_to_talk"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if latest_intent(tracker) == "deny":
            dispatcher.utter_message(response="utter_not_safe")
            return [SlotSet("safe_to_talk", "no")]
        dispatcher.utter_message(response="utter_how_can_i_help")
        return [SlotSet("safe_to_talk", "yes")]
