"""Alerts (one per case, acknowledged by staff) and the outbox of messages that announce them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.cases.models import Case
from api.db import Base, UTCDateTime


class Alert(Base):
    """A case waiting for a first response; staff acknowledge it from the queue."""

    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), unique=True)
    urgency: Mapped[str] = mapped_column(String(16))
    deadline_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    #: When the manager was told it was not acknowledged in time, and again at the deadline.
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deadline_escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()


class OutboxMessage(Base):
    """One notification to one recipient, written in the case's transaction, sent by the worker.

    Holds no content: the message is composed at send time from the alert's reference, urgency
    and deadline. `last_error` keeps only the error's type, never a server reply that might echo
    an address.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "delivered_at", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="email")
    recipient: Mapped[str] = mapped_column(String(320))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    alert: Mapped[Alert] = relationship()
