"""Drops an unsent report when the person stops or does not want to try again."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.report_slots import clear_report_slots


class ActionDiscardReport(Action):
    """Says nothing was sent and forgets every answer, so nothing lingers in the tracker."""

    def name(self) -> str:
        return "action_discard_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_report_discarded")
        return clear_report_slots()
