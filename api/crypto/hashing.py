"""Keyed hashes (HMAC-SHA256 under QD_HASH_KEY) for values looked up but never read back.

Each use names a purpose, so a follow-up code hash can never be confused with, or replayed as,
an idempotency key or a login throttle key.
"""

from __future__ import annotations

import hashlib
import hmac


def keyed_hash(hash_key: bytes, purpose: str, value: str) -> str:
    """Hex HMAC-SHA256 of `purpose` and `value`, separated so the two cannot run together."""
    message = purpose.encode() + b"\x00" + value.encode()
    return hmac.new(hash_key, message, hashlib.sha256).hexdigest()
