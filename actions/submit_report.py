"""Sends the finished report to the case service, or drops it if the person said no."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.case_service import CaseServiceError, create_case
from actions.fallback_line import utter_with_line
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

        payload = case_payload(tracker.slots, idempotency_key(tracker), channel_of(tracker))
        try:
            case = await create_case(payload)
        except CaseServiceError:
            await utter_with_line(dispatcher, "utter_report_not_sent")
            return [SlotSet("report_pending", True)]

        logger.info("report sent (urgency=%s)", case.get("urgency"))
        await confirm(dispatcher, case)
        return clear_report_slots()


async def confirm(dispatcher: CollectingDispatcher, case: dict[str, Any]) -> None:
    """The reference and, truly, when the team will see it; then 999 and the 24-hour line.

    Nobody runs a 24-hour team, so every confirmation says when the team will see the report
    (from the organisation's hours) and what to do before then; an urgent report is not told
    anything sooner than the team can deliver.
    """
    urgent = case.get("urgency") == "emergency"
    anonymous = is_anonymous(case.get("contact_method"))
    response = (
        "utter_case_created" + ("_urgent" if urgent else "") + ("_anonymous" if anonymous else "")
    )
    dispatcher.utter_message(
        response=response,
        reference=case.get("reference", ""),
        deadline_text=case.get("deadline_text") or DEFAULT_DEADLINE_TEXT,
    )
    until_then = "utter_until_then" if case.get("team_open_now") else "utter_until_then_closed"
    if case.get("helpline_name") and case.get("helpline_contact"):
        dispatcher.utter_message(
            response=until_then,
            helpline_name=case["helpline_name"],
            helpline_contact=case["helpline_contact"],
        )
    else:
        await utter_with_line(dispatcher, "utter_until_then")
    if case.get("out_of_hours_name") and case.get("out_of_hours_contact"):
        dispatcher.utter_message(
            response="utter_out_of_hours",
            out_of_hours_name=case["out_of_hours_name"],
            out_of_hours_contact=case["out_of_hours_contact"],
        )
    if case.get("follow_up_code"):
        dispatcher.utter_message(
            response="utter_follow_up_code", follow_up_code=case["follow_up_code"]
        )
    dispatcher.utter_message(response="utter_after_report")
