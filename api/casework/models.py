"""Casework tables. Plain columns are what a queue or the Board report needs (kinds, dates,
codes, counts); anything a person said or a member of staff wrote is sealed with the case's own
data key, so deleting that key at retention makes all of it unreadable at once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime

ENTRY_KINDS = ("note", "contact", "action_taken", "action_not_taken", "contact_revealed")
CONTACT_OUTCOMES = ("spoke", "not_safe_to_talk", "no_answer", "message_left", "wrong_person")
LAWFUL_BASES = ("consent", "safeguarding", "marac", "legal_duty")
REVIEW_OUTCOMES = ("continue", "change_plan", "escalate", "close")
CLOSURE_REASONS = (
    "survivor_satisfied",
    "moved_away",
    "declined_support",
    "no_contact_possible",
    "referred_on",
    "duplicate",
)


class CaseEntry(Base):
    """A fact-based record on a case: a note, a contact attempt, an action taken or not taken
    (with its reason), or a reveal of the safe contact details (with its reason).

    `outcome` is plain only for contact attempts (for the queue: "not safe to talk" matters).
    """

    __tablename__ = "case_entries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    kind: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sealed_body: Mapped[bytes] = mapped_column(LargeBinary)


class CaseLink(Base):
    """Two cases about the same household; neither reporter is ever shown to the other."""

    __tablename__ = "case_links"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    related_case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class DashAssessment(Base):
    """One completed DASH RIC: the answers and comments sealed, the result plain."""

    __tablename__ = "dash_assessments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    assessor_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    yes_count: Mapped[int] = mapped_column(Integer)
    risk_level: Mapped[str] = mapped_column(String(16))
    marac_criteria: Mapped[str] = mapped_column(Text)  # JSON list of criterion codes
    sealed_answers: Mapped[bytes] = mapped_column(LargeBinary)


class SharingRecord(Base):
    """One disclosure to another agency. Without consent it needs a reason and a manager."""

    __tablename__ = "sharing_records"
    __table_args__ = (
        CheckConstraint(
            "lawful_basis IN ('consent', 'safeguarding', 'marac', 'legal_duty')", name="basis"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(120))
    lawful_basis: Mapped[str] = mapped_column(String(16))
    with_consent: Mapped[bool] = mapped_column(Boolean)
    decided_by: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    signed_off_by: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    signed_off_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sealed_detail: Mapped[bytes] = mapped_column(LargeBinary)  # what was shared, and why


class RepairOrder(Base):
    """Security work (Sanctuary) ordered from a case: due in 24 hours, never charged."""

    __tablename__ = "repair_orders"
    __table_args__ = (CheckConstraint("NOT charged_to_survivor", name="never_charged"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    ordered_by: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    ordered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    contractor_reference: Mapped[str] = mapped_column(String(60))
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    charged_to_survivor: Mapped[bool] = mapped_column(Boolean, default=False)
    sealed_work: Mapped[bytes] = mapped_column(LargeBinary)


class CaseReview(Base):
    """A manager's case review and its outcome."""

    __tablename__ = "case_reviews"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    reviewed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))
    next_review_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sealed_notes: Mapped[bytes] = mapped_column(LargeBinary)


class FollowUpMessage(Base):
    """A message between an anonymous reporter (follow-up code, web chat or messaging) and the
    caseworker. `reporter_seen_at`: when a team message was first shown to the reporter, so a
    check over SMS or Telegram sends only what is new to them."""

    __tablename__ = "follow_up_messages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_reporter: Mapped[bool] = mapped_column(Boolean)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sealed_text: Mapped[bytes] = mapped_column(LargeBinary)
    reporter_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


RESTRICTION_REASONS = ("allegation_against_staff", "colleague_case", "conflict_of_interest")


class CaseRestriction(Base):
    """A case closed to everyone but the staff named in `RestrictedTo` (access.py enforces it).

    Set by a manager when the disclosure is about a member of staff, is a colleague's own case,
    or a caseworker declared a conflict of interest. Lifting it deletes the row; the audit log
    keeps the history (ids only).
    """

    __tablename__ = "case_restrictions"
    __table_args__ = (
        CheckConstraint(
            "reason IN ('allegation_against_staff', 'colleague_case', 'conflict_of_interest')",
            name="reason",
        ),
    )

    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(24))
    restricted_by: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    restricted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class RestrictedTo(Base):
    """One member of staff named on a restricted case (the restricting manager always is)."""

    __tablename__ = "case_restricted_to"

    case_id: Mapped[str] = mapped_column(
        ForeignKey("case_restrictions.case_id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[str] = mapped_column(
        ForeignKey("staff_users.id"), primary_key=True, index=True
    )


class ConflictDeclaration(Base):
    """A member of staff's own declaration that they must not work on or see a case.

    Holds no reason: saying why could itself reveal who the case is about. It takes their
    access away for good, whatever any restriction names.
    """

    __tablename__ = "conflict_declarations"

    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[str] = mapped_column(
        ForeignKey("staff_users.id"), primary_key=True, index=True
    )
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
