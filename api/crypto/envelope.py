"""Envelope encryption: AES-256-GCM values under per-record data keys wrapped by a master key.

Each sensitive column is its own ciphertext whose associated data names the table, column and
row id, so a value copied to another row or column fails to decrypt instead of being misread.
Layout of a sealed value: version byte, 96-bit random nonce, ciphertext with its 16-byte tag.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.crypto.keys import KeyRing
from api.crypto.models import DataKey
from api.db import utcnow

VERSION = b"\x01"
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A value or data key did not authenticate: wrong key, wrong row, or tampered bytes."""


@dataclass(frozen=True)
class OpenDataKey:
    """A data key in memory, with the id its sealed values are bound to."""

    id: str
    key: bytes


def _seal(key: bytes, aad: bytes, plaintext: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, aad: bytes, sealed: bytes) -> bytes:
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[:1] != VERSION:
        raise DecryptionError("not a sealed value of a known version")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise DecryptionError("sealed value did not authenticate") from None


def _wrap_aad(data_key_id: str, master_key_id: str) -> bytes:
    return f"qd/data-key/{data_key_id}/{master_key_id}".encode()


def field_aad(table: str, column: str, row_id: str) -> bytes:
    return f"qd/field/{table}/{column}/{row_id}".encode()


def new_data_key(keyring: KeyRing) -> tuple[DataKey, OpenDataKey]:
    """A fresh random data key: the row to store (wrapped) and the key to seal with now."""
    key_id = str(uuid.uuid4())
    key = AESGCM.generate_key(bit_length=256)
    row = DataKey(
        id=key_id,
        master_key_id=keyring.active_id,
        wrapped=_seal(keyring.active_key, _wrap_aad(key_id, keyring.active_id), key),
        created_at=utcnow(),
    )
    return row, OpenDataKey(id=key_id, key=key)


def unwrap(keyring: KeyRing, row: DataKey) -> OpenDataKey:
    master = keyring.get(row.master_key_id)
    key = _open(master, _wrap_aad(row.id, row.master_key_id), row.wrapped)
    return OpenDataKey(id=row.id, key=key)


def seal_value(dek: OpenDataKey, table: str, column: str, row_id: str, value: Any) -> bytes:
    """Seal a JSON-serialisable value for one column of one row."""
    plaintext = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return _seal(dek.key, field_aad(table, column, row_id), plaintext)


def open_value(dek: OpenDataKey, table: str, column: str, row_id: str, sealed: bytes) -> Any:
    return json.loads(_open(dek.key, field_aad(table, column, row_id), sealed))


def open_column(
    session: Session,
    keyring: KeyRing,
    data_key_id: str,
    table: str,
    column: str,
    row_id: str,
    sealed: bytes,
) -> Any:
    """Load and unwrap the row's data key, then open one column (for reveal-with-reason later)."""
    row = session.get(DataKey, data_key_id)
    if row is None:
        raise DecryptionError("the data key of this record no longer exists")
    return open_value(unwrap(keyring, row), table, column, row_id, sealed)


def rotate(session: Session, keyring: KeyRing, *, batch_size: int = 500) -> int:
    """Re-wrap every data key not yet under the active master key; returns how many changed.

    Values are untouched: only the small wrapped keys change, so rotation is fast and lossless.
    Each key is unwrapped before it is rewritten, so a key that cannot be read stops the run
    with its error instead of being silently lost. Commits in batches; safe to run again.
    """
    changed = 0
    while True:
        rows = session.scalars(
            select(DataKey)
            .where(DataKey.master_key_id != keyring.active_id)
            .order_by(DataKey.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return changed
        now = utcnow()
        for row in rows:
            key = unwrap(keyring, row).key
            row.wrapped = _seal(keyring.active_key, _wrap_aad(row.id, keyring.active_id), key)
            row.master_key_id = keyring.active_id
            row.rewrapped_at = now
        session.commit()
        changed += len(rows)
