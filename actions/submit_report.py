"""Sends the finished report to the case service, or drops it if the person said no."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.case_service import CaseServiceError, create_case
from actions.report_slots import (
    case_payload,
    channel_of,
    clear_report_slots,
    idempotency_key,
    is_anonymous,
)

logger = logging.getLogger(__name__)

# The landlords' promise (respond within one working day), used only if the service omits it.
DEFAULT_DEADLINE_TEXT = "within one working day"


class ActionSubmitReport(Action):
    """POST /internal/cases once the person confirms; keep the answers if it fails.

    On failure nothing is cleared and `report_pending` is set, so "Try again" resends the same
    answers with the same idempotency key (no duplicate case). On success every report slot is
    cleared so nothing carries over.
    """

    def name(self) -> str:
        return "action_submit_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("send_report") != "yes":
            dispatcher.utter_message(response="utter_report_discarded")
            return clear_report_slots()

        payload = case_payload(tracker.slots, idempotency_key(tracker), channel_of(tracker))
        try:
            case = await create_case(payload)
        except CaseServiceError:
            dispatcher.utter_message(response="utter_report_not_sent")
            return [SlotSet("report_pending", True)]

        logger.info("report sent (urgency=%s)", case.get("urgency"))
        _confirm(dispatcher, case)
        return clear_report_slots()


def _confirm(dispatcher: CollectingDispatcher, case: dict[str, Any]) -> None:
    reference = case.get("reference", "")
    deadline_text = case.get("deadline_text") or DEFAULT_DEADLINE_TEXT
    if is_anonymous(case.get("contact_method")):
        dispatcher.utter_message(
            response="utter_case_created_anonymous",
            reference=reference,
            deadline_text=deadline_text,
        )
    else:
        dispatcher.utter_message(
            response="utter_case_created", reference=reference, deadline_text=deadline_text
        )
    if case.get("follow_up_code"):
        dispatcher.utter_message(
            response="utter_follow_up_code", follow_up_code=case["follow_up_code"]
        )
