"""The report's slots, their allowed values, and how they become a case-service payload.

Inside the conversation a skipped question holds the sentinel "skipped" so the form does not
ask it again; the case service gets null for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

SKIPPED = "skipped"
UNKNOWN = "unknown"
DONE = "done"

REPORTER_TYPES = ("self", "neighbour", "contractor", "agency", "friend_family", "other")
ABUSE_KINDS = (
    "physical",
    "sexual",
    "violent_threatening",
    "coercive_control",
    "economic",
    "psychological",
    "online",
    "other",
)
CONTACT_METHODS = ("phone", "text", "email", "in_person", "trusted_person", "none")
# Methods that need a number, address or person before anyone can use them.
METHODS_NEEDING_DETAIL = ("phone", "text", "email", "trusted_person")
YES_NO_UNKNOWN = ("yes", "no", UNKNOWN)
INTERPRETERS = ("none", "language", "bsl", UNKNOWN)
CHANNELS = ("web", "sms", "whatsapp", "telegram")

FREE_TEXT_LIMITS = {
    "what_happening": 5000,
    "location": 1000,
    "contact_detail": 300,
    "safe_times": 1000,
    "code_word": 100,
    "language": 100,
}
YES_NO_SLOTS = (
    "children",
    "immediate_danger",
    "voicemail_safe",
    "letter_safe",
    "consent_to_share",
    "security_needed",
)

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
    "report_pending",
)


def _choice(value: Any, allowed: tuple) -> str | None:
    return value if value in allowed else None


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or value == SKIPPED:
        return None
    value = value.strip()
    return value[:limit] or None


def chosen_kinds(value: Any) -> list[str]:
    """Valid abuse kinds from a list slot, in order, without repeats or sentinels."""
    values = value if isinstance(value, list) else [value]
    kinds: list[str] = []
    for kind in values:
        if kind in ABUSE_KINDS and kind not in kinds:
            kinds.append(kind)
    return kinds


def is_anonymous(contact_method: str | None) -> bool:
    """No contact method (chosen "none", or skipped) means nobody will contact the reporter."""
    return contact_method in (None, "none")


def case_payload(slots: Mapping[str, Any], idempotency_key: str, channel: str) -> dict[str, Any]:
    """Build the POST /internal/cases body: exactly the contract's fields, sentinels as null."""
    contact_method = _choice(slots.get("contact_method"), CONTACT_METHODS)
    payload: dict[str, Any] = {
        "idempotency_key": idempotency_key,
        "channel": channel if channel in CHANNELS else "web",
        "reporter_type": _choice(slots.get("reporter_type"), REPORTER_TYPES) or "other",
        "abuse_kinds": chosen_kinds(slots.get("abuse_kinds")),
        "contact_method": contact_method,
        "interpreter": _choice(slots.get("interpreter"), INTERPRETERS),
    }
    for slot, limit in FREE_TEXT_LIMITS.items():
        payload[slot] = _text(slots.get(slot), limit)
    for slot in YES_NO_SLOTS:
        payload[slot] = _choice(slots.get(slot), YES_NO_UNKNOWN)
    if contact_method not in METHODS_NEEDING_DETAIL:
        payload["contact_detail"] = None
    return payload


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
    metadata = tracker.latest_message.get("metadata") or {}
    channel = metadata.get("channel") if isinstance(metadata, dict) else None
    if channel is None:
        for event in reversed(tracker.events):
            meta = event.get("metadata") if event.get("event") == "user" else None
            if isinstance(meta, dict) and meta.get("channel"):
                channel = meta["channel"]
                break
    return channel if channel in CHANNELS else "web"


def clear_report_slots() -> list[EventType]:
    """Forget the whole report so nothing carries over to the next one.

    `report_pending` becomes False rather than None: the rules wait for the user after
    action_submit_report by matching on it (data/rules/report.yml).
    """
    events = [SlotSet(slot, None) for slot in REPORT_SLOTS if slot != "report_pending"]
    return events + [SlotSet("report_pending", False), SlotSet("requested_slot", None)]
