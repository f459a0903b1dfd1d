"""The audit log: who did what to which object, when; never what the object says.

Rows form a chain: each `hash` is an HMAC (under QD_HASH_KEY) of the row's fields and the
previous row's hash, so editing, deleting or reordering any row breaks every hash after it,
and nobody without the key can forge a consistent chain (`python -m api.audit verify`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[str | None] = mapped_column(String(36))  # None: the system (a worker, a CLI)
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(24))
    object_id: Mapped[str] = mapped_column(String(36), index=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
