"""The JSON API's bodies: strict (unknown fields are 422), bounded, and typed for OpenAPI."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.casework.entries import CONTACT_METHODS
from api.casework.models import (
    CLOSURE_REASONS,
    CONTACT_OUTCOMES,
    LAWFUL_BASES,
    RESTRICTION_REASONS,
    REVIEW_OUTCOMES,
)

Text = Annotated[str, StringConstraints(min_length=1, max_length=5000)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=36)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssignIn(Strict):
    staff_id: Id


class StatusIn(Strict):
    status: Literal["in_contact", "risk_assessed", "support_plan", "under_review"]


class CloseIn(Strict):
    reason: Literal[CLOSURE_REASONS]  # type: ignore[valid-type]
    note: Text
    request_feedback: bool = False


class RevealIn(Strict):
    reason: Literal["arranging_contact", "safety_check", "marac_referral", "repair_access"]
    detail: Annotated[str, StringConstraints(max_length=500)] = ""


class EntryIn(Strict):
    kind: Literal["note", "contact", "action_taken", "action_not_taken"]
    text: Text
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None
    method: Literal[CONTACT_METHODS] | None = None  # type: ignore[valid-type]
    outcome: Literal[CONTACT_OUTCOMES] | None = None  # type: ignore[valid-type]


class SharingIn(Strict):
    recipient: Short
    what: Text
    lawful_basis: Literal[LAWFUL_BASES]  # type: ignore[valid-type]
    with_consent: bool
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""


class RestrictIn(Strict):
    """Who may see the case besides the manager restricting it (always named)."""

    reason: Literal[RESTRICTION_REASONS]  # type: ignore[valid-type]
    staff_ids: Annotated[list[Id], Field(max_length=50)] = []


class MaracReferralIn(Strict):
    recipient: Short = "MARAC coordinator"
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""


class RepairIn(Strict):
    work: Text
    contractor_reference: Annotated[str, StringConstraints(min_length=1, max_length=60)]


class ReviewIn(Strict):
    outcome: Literal[REVIEW_OUTCOMES]  # type: ignore[valid-type]
    notes: Text
    next_review_at: dt.datetime | None = None


class LinkIn(Strict):
    reference: Annotated[str, StringConstraints(min_length=3, max_length=20)]


class MessageIn(Strict):
    text: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class DashIn(Strict):
    answers: dict[
        Annotated[str, StringConstraints(max_length=40)], Literal["yes", "no", "not_known"]
    ] = Field(max_length=24)
    comments: dict[
        Annotated[str, StringConstraints(max_length=40)],
        Annotated[str, StringConstraints(max_length=2000)],
    ] = Field(default_factory=dict, max_length=24)
    professional_judgement: bool = False
    incidents_last_12_months: int = Field(default=0, ge=0, le=1000)


class QueueRowOut(BaseModel):
    case_id: str
    reference: str
    urgency: str
    status: str
    received_at: dt.datetime
    deadline_at: dt.datetime
    acknowledged: bool
    assigned_to: str | None
    first_contact_at: dt.datetime | None
    last_contact_outcome: str | None
    risk_level: str | None
    overdue_repairs: int
    review_due: bool
    unanswered_messages: int
    restricted: bool
    conflict_declared: bool
    review_reason: str | None


class CaseOut(BaseModel):
    id: str
    reference: str
    channel: str
    reporter_type: str
    urgency: str
    status: str
    created_at: dt.datetime
    deadline_at: dt.datetime
    assigned_to: str | None
    first_contact_at: dt.datetime | None
    risk_level: str | None
    marac_referred_at: dt.datetime | None
    closed_at: dt.datetime | None
    closure_reason: str | None
    report: dict


class EntryOut(BaseModel):
    id: str
    kind: str
    outcome: str | None
    created_at: dt.datetime
    author_id: str
    body: dict


class Done(BaseModel):
    id: str
    status: str = "ok"
