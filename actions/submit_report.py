"""Sends the finished report to the case service, or drops it if the person said no."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.case_service import CaseServiceError, create_case
from actions.confirmation import confirmation
from actions.fallback_line import utter_with_line
from actions.message_metadata import latest_metadata
from actions.report_slots import (
    case_payload,
    channel_of,
    clear_report_slots,
    idempotency_key,
)

logger = logging.getLogger(__name__)


class ActionSubmitReport(Action):
    """POST /internal/cases once the person confirms; keep the answers if it fails.

    On failure nothing is cleared and `report_pending` is set, so "Try again" resends the same
    answers with the same idempotency key (no duplicate case). On success every report slot is
    cleared so nothing carries over. "Not safe to talk" ends the form without a word more: the
    person has just been told how to leave.
    """

    def name(self) -> str:
        return "action_submit_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("safe_to_talk") == "no":
            return [*clear_report_slots(), SlotSet("safe_to_talk", None)]
        if tracker.get_slot("send_report") != "yes":
            dispatcher.utter_message(response="utter_report_discarded")
            return clear_report_slots()

        # The gateway's keyed hash of a web chat's address: the case service counts reports a
        # day from one address, and one past the cap pages nobody (api/cases/report_cap.py).
        address_key = latest_metadata(tracker, "address_key")
        payload = case_payload(
            tracker.slots, idempotency_key(tracker), channel_of(tracker), address_key
        )
        try:
            case = await create_case(payload)
        except CaseServiceError:
            await utter_with_line(dispatcher, "utter_report_not_sent")
            return [SlotSet("report_pending", True)]

        logger.info("report sent (urgency=%s)", case.get("urgency"))
        await confirm(dispatcher, case)
        return clear_report_slots()


async def confirm(dispatcher: CollectingDispatcher, case: dict[str, Any]) -> None:
    """Send the confirmation; the 24-hour line comes from the profile if the answer lacks it."""
    for response, values in confirmation(case):
        if response == "utter_until_then" and not values:
            await utter_with_line(dispatcher, response)
        else:
            dispatcher.utter_message(response=response, **values)
