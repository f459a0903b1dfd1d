"""The report contract: allowed values, free-text limits, field groups and the payload builder.

The action server (Rasa, Python 3.10) builds the `POST /internal/cases` body with
`case_payload`; the case service (Python 3.11) validates it with `api.cases.schemas.CaseIn`,
whose types are made from the tuples and limits below. Keeping them in this one module is what
stops the two sides drifting apart: a report the assistant accepts is a report the service
stores, so "Try again" never resends a body the service will always refuse.

Standard library only and Python 3.10 syntax: both virtual environments import this file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Inside the conversation a skipped question holds "skipped" so the form does not ask it again;
#: the case service gets null for it.
SKIPPED = "skipped"
#: "I don't know" is always an answer, and is stored as such.
UNKNOWN = "unknown"
#: "That's all" to the question asking for more kinds of abuse.
DONE = "done"

REPORTER_TYPES = ("self", "neighbour", "contractor", "agency", "friend_family", "other")
#: The kinds of abuse of the Domestic Abuse Act 2021, plus "other".
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
#: Ways the team can reach the person.
REACHABLE_METHODS = ("phone", "text", "email", "in_person", "trusted_person")
#: "none" means nobody contacts the reporter: the report is anonymous, with a follow-up code.
CONTACT_METHODS = REACHABLE_METHODS + ("none",)
#: Methods that need a number, address or person before anyone can use them.
METHODS_NEEDING_DETAIL = ("phone", "text", "email", "trusted_person")
YES_NO_UNKNOWN = ("yes", "no", UNKNOWN)
INTERPRETERS = ("none", "language", "bsl", UNKNOWN)
CHANNELS = ("web", "sms", "whatsapp", "telegram")
#: Most urgent first.
URGENCIES = ("emergency", "priority", "standard")

#: The longest answer kept for each free-text question, in characters after trimming spaces.
FREE_TEXT_LIMITS = {
    "what_happening": 5000,
    "location": 500,
    "contact_detail": 300,
    "safe_times": 500,
    "code_word": 100,
    "language": 100,
}
YES_NO_FIELDS = (
    "children",
    "immediate_danger",
    "voicemail_safe",
    "letter_safe",
    "consent_to_share",
    "security_needed",
)

#: Where the case service keeps each field; every field of the body is in exactly one group,
#: so a new field cannot end up in plaintext by accident.
#: Plain columns, because triage and the alert need them without a key.
PLAIN_FIELDS = ("channel", "reporter_type", "children", "immediate_danger", "contact_method")
#: Sealed together in `cases.sealed_report`.
REPORT_FIELDS = ("what_happening", "abuse_kinds", "location", "consent_to_share", "security_needed")
#: Sealed together in `cases.sealed_contact`, opened only to make contact.
CONTACT_FIELDS = (
    "contact_detail",
    "safe_times",
    "voicemail_safe",
    "letter_safe",
    "code_word",
    "language",
    "interpreter",
)
#: Stored only as a keyed hash. The address key arrives as one: the gateway's keyed hash of a web
#: chat's address, which the case service only counts (api/cases/report_cap.py) and never keeps
#: with the case.
HASHED_FIELDS = ("idempotency_key", "address_key")
#: The gateway's address key: a hex HMAC-SHA256 (api.crypto.hashing.keyed_hash).
ADDRESS_KEY_PATTERN = r"^[0-9a-f]{64}$"


def _choice(value: Any, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


def _text(value: Any, limit: int) -> str | None:
    """Trimmed and cut to the limit; a lone surrogate (which the service refuses) becomes U+FFFD."""
    if not isinstance(value, str) or value == SKIPPED:
        return None
    value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value.strip()[:limit] or None


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


def case_payload(
    slots: Mapping[str, Any], idempotency_key: str, channel: str, address_key: Any = None
) -> dict[str, Any]:
    """Build the POST /internal/cases body: exactly the contract's fields, sentinels as null.

    `address_key` is what the gateway put in a web chat message's metadata (null if anything
    else: messaging channels have none).
    """
    contact_method = _choice(slots.get("contact_method"), CONTACT_METHODS)
    has_address_key = isinstance(address_key, str) and re.fullmatch(
        ADDRESS_KEY_PATTERN, address_key
    )
    payload: dict[str, Any] = {
        "idempotency_key": idempotency_key,
        "address_key": address_key if has_address_key else None,
        "channel": channel if channel in CHANNELS else "web",
        "reporter_type": _choice(slots.get("reporter_type"), REPORTER_TYPES) or "other",
        "abuse_kinds": chosen_kinds(slots.get("abuse_kinds")),
        "contact_method": contact_method,
        "interpreter": _choice(slots.get("interpreter"), INTERPRETERS),
    }
    for slot, limit in FREE_TEXT_LIMITS.items():
        payload[slot] = _text(slots.get(slot), limit)
    for slot in YES_NO_FIELDS:
        payload[slot] = _choice(slots.get(slot), YES_NO_UNKNOWN)
    if contact_method not in METHODS_NEEDING_DETAIL:
        payload["contact_detail"] = None
    return payload
