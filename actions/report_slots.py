"""The report's slots in the conversation, and what the actions take from the contract.

The allowed values, limits and the payload builder live in `contract.report`, shared with the
case service; they are re-exported here so every action imports one place. What stays here
needs Rasa: the form's slot list, the idempotency key and the channel from the tracker.
"""

from __future__ import annotations

import hashlib

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.message_metadata import latest_metadata
from contract.report import ABUSE_KINDS as ABUSE_KINDS
from contract.report import CHANNELS
from contract.report import CONTACT_METHODS as CONTACT_METHODS
from contract.report import DONE as DONE
from contract.report import FREE_TEXT_LIMITS as FREE_TEXT_LIMITS
from contract.report import INTERPRETERS as INTERPRETERS
from contract.report import METHODS_NEEDING_DETAIL as METHODS_NEEDING_DETAIL
from contract.report import REPORTER_TYPES as REPORTER_TYPES
from contract.report import SKIPPED as SKIPPED
from contract.report import UNKNOWN as UNKNOWN
from contract.report import YES_NO_UNKNOWN as YES_NO_UNKNOWN
from contract.report import case_payload as case_payload
from contract.report import chosen_kinds as chosen_kinds
from contract.report import is_anonymous as is_anonymous

# Every slot that holds part of a report; all are cleared once it is sent or dropped.
REPORT_SLOTS = (
    "reporter_type",
    "what_happening",
    "abuse_kinds",
    "abuse_kinds_more",
    "location",
    "children",
    "immediate_danger",
    "contact_method",
    "contact_detail",
    "safe_times",
    "voicemail_safe",
    "letter_safe",
    "code_word",
    "interpreter",
    "language",
    "consent_to_share",
    "security_needed",
    "send_report",
    "phone_note_given",
    "report_pending",
)


def idempotency_key(tracker: Tracker) -> str:
    """Stable for one report: the conversation id and the time the report form started.

    A retry after a failed POST finds the same form-start event, so the case service returns
    the same case instead of making a second one. Hashed so the key holds no channel id.
    """
    started = next(
        (
            event.get("timestamp")
            for event in reversed(tracker.events)
            if event.get("event") == "active_loop" and event.get("name") == "report_form"
        ),
        None,
    )
    if started is None:
        started = tracker.events[0].get("timestamp") if tracker.events else "no-events"
    digest = hashlib.sha256(f"{tracker.sender_id}:{started}".encode()).hexdigest()
    return f"qd-{digest}"


def channel_of(tracker: Tracker) -> str:
    """The channel the gateway put in the message metadata; the web chat by default."""
    channel = latest_metadata(tracker, "channel")
    return channel if channel in CHANNELS else "web"


def clear_report_slots() -> list[EventType]:
    """Forget the whole report so nothing carries over to the next one.

    `report_pending` becomes False rather than None: the rules wait for the user after
    action_submit_report by matching on it (data/rules/report.yml).
    """
    events = [SlotSet(slot, None) for slot in REPORT_SLOTS if slot != "report_pending"]
    return events + [SlotSet("report_pending", False), SlotSet("requested_slot", None)]
