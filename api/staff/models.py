"""Staff accounts, their server-side sessions, and recent failures (for the throttles)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.crypto.models import DataKey
from api.db import Base, UTCDateTime

ROLES = ("caseworker", "manager", "admin")


class StaffUser(Base):
    """A member of staff. The TOTP secret is sealed like case data; the password is Argon2id."""

    __tablename__ = "staff_users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    #: Managers see their team's cases; caseworkers their own and the unassigned triage queue.
    team: Mapped[str] = mapped_column(String(40), default="resolution", server_default="resolution")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_keys.id"))
    sealed_totp: Mapped[bytes] = mapped_column(LargeBinary)
    #: The TOTP time-step last accepted: a code for it (or earlier) is never accepted again.
    last_totp_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    data_key: Mapped[DataKey] = relationship()


class StaffSession(Base):
    """A signed-in browser. Only a hash of the cookie's random id is stored."""

    __tablename__ = "staff_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    user: Mapped[StaffUser] = relationship()


class LoginFailure(Base):
    """One failed sign-in or wrong follow-up code, for the throttles (api/throttle.py).

    `key_hash` is a keyed hash of what failed: an account name, a known device, an address.
    Indexed by key (one key's backoff) and by time (the global ceiling, and pruning).
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_lookup", "scope", "key_hash", "at"),
        Index("ix_login_failures_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(8))
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
