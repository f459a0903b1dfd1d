"""Master keys and the hash key, read from settings and checked once.

A missing or malformed key is a configuration problem, not a bug: it raises `KeyConfigError` with
a message that names the variable and the fix, never the key material, so the service can say so
(HTTP 503, one log line) instead of crashing in a restart loop.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from api.settings import Settings

MASTER_KEY_BYTES = 32
MIN_HASH_KEY_BYTES = 16
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class KeyConfigError(RuntimeError):
    """QD_MASTER_KEYS or QD_HASH_KEY is missing or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class KeyRing:
    """Master keys by id; the first one listed is the active key that wraps new data keys."""

    active_id: str
    keys: dict[str, bytes]

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_id]

    def get(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise KeyConfigError(
                f"master key {key_id!r} is needed to read stored data but is not in "
                "QD_MASTER_KEYS; add it back (after the active key) and run the rotation"
            ) from None


def decode_key(text: str) -> bytes:
    """Standard or URL-safe base64, padding optional; anything else raises binascii.Error."""
    text = text.strip().translate(str.maketrans("-_", "+/"))
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def parse_master_keys(value: str) -> KeyRing:
    """Parse `id:base64key[,id:base64key]`; every key must be 32 bytes (AES-256)."""
    if not value.strip():
        raise KeyConfigError(
            "QD_MASTER_KEYS is not set: give it as id:base64key (32 random bytes), "
            "e.g. from `python -m api.crypto new-key`"
        )
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for position, item in enumerate(value.split(","), start=1):
        key_id, sep, encoded = item.strip().partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise KeyConfigError(
                f"QD_MASTER_KEYS entry {position} is not id:base64key "
                "(id: letters, digits, '-' or '_', at most 32)"
            )
        if key_id in keys:
            raise KeyConfigError(f"QD_MASTER_KEYS lists the key id {key_id!r} twice")
        try:
            material = decode_key(encoded)
        except (binascii.Error, ValueError):
            raise KeyConfigError(f"QD_MASTER_KEYS key {key_id!r} is not valid base64") from None
        if len(material) != MASTER_KEY_BYTES:
            raise KeyConfigError(
                f"QD_MASTER_KEYS key {key_id!r} must decode to {MASTER_KEY_BYTES} bytes"
            )
        keys[key_id] = material
        order.append(key_id)
    return KeyRing(active_id=order[0], keys=keys)


def parse_hash_key(value: str) -> bytes:
    """Parse QD_HASH_KEY (base64, at least 16 bytes): the HMAC key for codes and lookups."""
    if not value.strip():
        raise KeyConfigError(
            "QD_HASH_KEY is not set: give it as base64 of 32 random bytes, "
            "e.g. from `python -m api.crypto new-key`"
        )
    try:
        material = decode_key(value)
    except (binascii.Error, ValueError):
        raise KeyConfigError("QD_HASH_KEY is not valid base64") from None
    if len(material) < MIN_HASH_KEY_BYTES:
        raise KeyConfigError(f"QD_HASH_KEY must decode to at least {MIN_HASH_KEY_BYTES} bytes")
    return material


def keyring_from(settings: Settings) -> KeyRing:
    return parse_master_keys(settings.master_keys.get_secret_value())


def hash_key_from(settings: Settings) -> bytes:
    return parse_hash_key(settings.hash_key.get_secret_value())


def key_problems(settings: Settings) -> list[str]:
    """Every key problem at once, for a single clear start-up message (empty when all is well)."""
    problems = []
    for check in (keyring_from, hash_key_from):
        try:
            check(settings)
        except KeyConfigError as error:
            problems.append(str(error))
    return problems
