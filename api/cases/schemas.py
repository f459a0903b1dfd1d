"""The `POST /internal/cases` contract of docs/architecture.md, enforced by pydantic.

Unknown fields and oversized text are refused with 422, so a caller's mistake is seen at once and
never stored. The allowed values, the limits and the field groups (where each field is kept) come
from `contract.report`, which the actions build the body with.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from contract.report import (
    ABUSE_KINDS,
    ADDRESS_KEY_PATTERN,
    CHANNELS,
    CONTACT_METHODS,
    FREE_TEXT_LIMITS,
    INTERPRETERS,
    REPORTER_TYPES,
    URGENCIES,
    YES_NO_UNKNOWN,
)
from contract.report import CONTACT_FIELDS as CONTACT_FIELDS
from contract.report import HASHED_FIELDS as HASHED_FIELDS
from contract.report import PLAIN_FIELDS as PLAIN_FIELDS
from contract.report import REPORT_FIELDS as REPORT_FIELDS

# The allowed values come from the contract shared with the actions (contract/report.py).
YesNoUnknown = Literal[YES_NO_UNKNOWN]  # type: ignore[valid-type]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]
ReporterType = Literal[REPORTER_TYPES]  # type: ignore[valid-type]
AbuseKind = Literal[ABUSE_KINDS]  # type: ignore[valid-type]
ContactMethod = Literal[CONTACT_METHODS]  # type: ignore[valid-type]
Interpreter = Literal[INTERPRETERS]  # type: ignore[valid-type]
Urgency = Literal[URGENCIES]  # type: ignore[valid-type]


def _encodable(value: str) -> str:
    """Refuse lone surrogates (valid JSON, invalid Unicode) before they reach the cipher."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode") from None
    return value


def _free_text(field: str) -> Any:
    """Trimmed text, refused past the contract's limit for `field` (the actions cut to it)."""
    limit = FREE_TEXT_LIMITS[field]
    return Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=limit), AfterValidator(_encodable)
    ]


WhatHappening = _free_text("what_happening")
Location = _free_text("location")
ContactDetail = _free_text("contact_detail")
SafeTimes = _free_text("safe_times")
CodeWord = _free_text("code_word")
Language = _free_text("language")


class CaseIn(BaseModel):
    """A report from the action server; idempotency key, channel and reporter are required."""

    model_config = ConfigDict(extra="forbid")

    idempotency_key: Annotated[
        str, StringConstraints(min_length=1, max_length=200), AfterValidator(_encodable)
    ]
    channel: Channel
    reporter_type: ReporterType
    #: The gateway's keyed hash of a web chat's address, for the report cap; never stored.
    address_key: Annotated[str, StringConstraints(pattern=ADDRESS_KEY_PATTERN)] | None = None
    what_happening: WhatHappening | None = None
    abuse_kinds: list[AbuseKind] | None = Field(default=None, max_length=len(ABUSE_KINDS))
    location: Location | None = None
    children: YesNoUnknown | None = None
    immediate_danger: YesNoUnknown | None = None
    contact_method: ContactMethod | None = None
    contact_detail: ContactDetail | None = None
    safe_times: SafeTimes | None = None
    voicemail_safe: YesNoUnknown | None = None
    letter_safe: YesNoUnknown | None = None
    code_word: CodeWord | None = None
    language: Language | None = None
    interpreter: Interpreter | None = None
    consent_to_share: YesNoUnknown | None = None
    security_needed: YesNoUnknown | None = None


class CaseOut(BaseModel):
    """What the assistant tells the person: when the team will respond, and, honestly, who
    answers before then (999 always; the nation's 24-hour line; an out-of-hours service, if any).
    """

    reference: str
    follow_up_code: str | None
    urgency: Urgency
    #: One working day from the report, for every urgency: no team here answers sooner for sure.
    deadline: dt.datetime
    deadline_text: str
    contact_method: ContactMethod | None
    #: Whether the team is working at the moment the report was stored.
    team_open_now: bool
    helpline_name: str
    helpline_contact: str
    out_of_hours_name: str | None
    out_of_hours_contact: str | None
