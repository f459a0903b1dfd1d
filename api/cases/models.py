"""The cases table: plain columns only for triage, everything personal sealed.

`sealed_report` (what is happening, kinds of abuse, location, consent, security needs) and
`sealed_contact` (how and when to make contact safely, code word, language) are separate
ciphertexts so that showing a caseworker how to make contact never opens the disclosure itself.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.crypto.models import DataKey
from api.db import Base, UTCDateTime

URGENCIES = ("emergency", "priority", "standard")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint("urgency IN ('emergency', 'priority', 'standard')", name="urgency"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    reporter_type: Mapped[str] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16), index=True)
    immediate_danger: Mapped[str | None] = mapped_column(String(8))
    children: Mapped[str | None] = mapped_column(String(8))
    contact_method: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="new")
    #: Casework (issue 4): who holds the case, and the plain facts the queues and reports need.
    assigned_to: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    team: Mapped[str | None] = mapped_column(String(40), index=True)
    first_contact_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    risk_level: Mapped[str | None] = mapped_column(String(16))
    marac_referred_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    review_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    closure_reason: Mapped[str | None] = mapped_column(String(24))
    follow_up_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Why staff should check the report before acting on it; its alert was not sent
    #: ("many_reports_from_address": api/cases/report_cap.py).
    review_reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    idempotency_hash: Mapped[str] = mapped_column(String(64), unique=True)
    follow_up_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_keys.id"), index=True)
    sealed_report: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_contact: Mapped[bytes] = mapped_column(LargeBinary)

    data_key: Mapped[DataKey] = relationship()


class WebReportCount(Base):
    """Web chat reports from one address on one UTC day (api/cases/report_cap.py).

    The address only as the keyed hash the gateway made of it; no link to any case. Rows of
    earlier days are deleted when the next report is counted.
    """

    __tablename__ = "web_report_counts"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    reports: Mapped[int] = mapped_column(Integer)
