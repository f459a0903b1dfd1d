"""The `POST /internal/cases` contract of docs/architecture.md, enforced by pydantic.

Unknown fields and oversized text are refused with 422, so a caller's mistake is seen at once and
never stored. The field groups below say where each field lives; a test checks every field is in
exactly one group, so a new field cannot end up in plaintext by accident.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

YesNoUnknown = Literal["yes", "no", "unknown"]
Channel = Literal["web", "sms", "whatsapp", "telegram"]
ReporterType = Literal["self", "neighbour", "contractor", "agency", "friend_family", "other"]
AbuseKind = Literal[
    "physical",
    "sexual",
    "violent_threatening",
    "coercive_control",
    "economic",
    "psychological",
    "online",
    "other",
]
ContactMethod = Literal["phone", "text", "email", "in_person", "trusted_person", "none"]
Interpreter = Literal["none", "language", "bsl", "unknown"]
Urgency = Literal["emergency", "priority", "standard"]


def _encodable(value: str) -> str:
    """Refuse lone surrogates (valid JSON, invalid Unicode) before they reach the cipher."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode") from None
    return value


LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=5000), AfterValidator(_encodable)
]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(_encodable)
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(_encodable)
]


class CaseIn(BaseModel):
    """A report from the action server; idempotency key, channel and reporter are required."""

    model_config = ConfigDict(extra="forbid")

    idempotency_key: Annotated[
        str, StringConstraints(min_length=1, max_length=200), AfterValidator(_encodable)
    ]
    channel: Channel
    reporter_type: ReporterType
    what_happening: LongText | None = None
    abuse_kinds: list[AbuseKind] | None = Field(default=None, max_length=8)
    location: Text | None = None
    children: YesNoUnknown | None = None
    immediate_danger: YesNoUnknown | None = None
    contact_method: ContactMethod | None = None
    contact_detail: Text | None = None
    safe_times: Text | None = None
    voicemail_safe: YesNoUnknown | None = None
    letter_safe: YesNoUnknown | None = None
    code_word: ShortText | None = None
    language: ShortText | None = None
    interpreter: Interpreter | None = None
    consent_to_share: YesNoUnknown | None = None
    security_needed: YesNoUnknown | None = None


#: Stored in plain columns because triage and the alert need them without a key.
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
#: Stored only as a keyed hash.
HASHED_FIELDS = ("idempotency_key",)


class CaseOut(BaseModel):
    reference: str
    follow_up_code: str | None
    urgency: Urgency
    deadline: dt.datetime
    deadline_text: str
    contact_method: ContactMethod | None
