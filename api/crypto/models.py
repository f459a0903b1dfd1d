"""Wrapped data keys: one per record, so rotation re-wraps keys and never re-encrypts data."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, utcnow


class DataKey(Base):
    """A record's AES-256 data key, encrypted (wrapped) under the master key `master_key_id`.

    Deleting a row makes every value sealed with it unreadable: retention can crypto-shred.
    """

    __tablename__ = "data_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    master_key_id: Mapped[str] = mapped_column(String(32), index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    rewrapped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
