"""Sealing conversations for a shared store: AES-256-GCM under QD_TRACKER_KEY, names by HMAC.

A tracker holds everything the person typed. When it leaves Rasa's memory for a store other
processes share (Redis: bot/sealed_redis_tracker_store.py), what the store holds must be useless
to whoever reads the store's memory, its dumps or its network traffic:
- the tracker is sealed with AES-256-GCM, a fresh 96-bit random nonce each time, and the sender
  id as associated data, so a sealed tracker copied under another conversation's name does not
  open (it would hand one person's disclosure to another conversation);
- the store's key for a conversation is an HMAC of the sender id, not the id itself, so the key
  list tells a reader neither the pseudonyms nor the web chat ids of live conversations.

QD_TRACKER_KEY is its own key (base64 of 32 random bytes), not derived from the gateway's keys:
Rasa needs no other secret to keep conversations, and changing it only ends the conversations
in progress (each then starts afresh), so it can be rotated at any time. Two subkeys are derived
from it with HKDF-SHA256 (one to seal, one to name), so no key serves two purposes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_VARIABLE = "QD_TRACKER_KEY"
KEY_BYTES = 32
NONCE_BYTES = 12
VERSION = b"\x01"
"""First byte of every sealed tracker: the format, so a later one can be told apart."""

SEAL_INFO = b"quietdoor tracker seal v1"
NAME_INFO = b"quietdoor tracker name v1"


class UnreadableTracker(Exception):
    """A stored tracker that does not open: tampered, moved, truncated or under another key."""


def _subkey(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(key)


def key_from_env(environ: Mapping[str, str] | None = None) -> bytes:
    """QD_TRACKER_KEY decoded; a missing or malformed key stops Rasa at start with a clear error.

    The error never repeats the value: Rasa logs start-up errors.
    """
    value = (os.environ if environ is None else environ).get(KEY_VARIABLE, "").strip()
    if not value:
        raise ValueError(f"{KEY_VARIABLE} is not set: base64 of {KEY_BYTES} random bytes")
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{KEY_VARIABLE} is not base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"{KEY_VARIABLE} must decode to {KEY_BYTES} bytes")
    return key


class TrackerSeal:
    """Seals and opens serialised trackers, and names them, under one QD_TRACKER_KEY."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a tracker key is {KEY_BYTES} bytes")
        self._aead = AESGCM(_subkey(key, SEAL_INFO))
        self._name_key = _subkey(key, NAME_INFO)

    @staticmethod
    def _associated_data(sender_id: str) -> bytes:
        return VERSION + sender_id.encode("utf-8")

    def name(self, sender_id: str) -> str:
        """The conversation's name in the store: HMAC-SHA256 of the sender id, in hex."""
        return hmac.new(self._name_key, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()

    def seal(self, sender_id: str, serialised: str) -> bytes:
        """VERSION, nonce, then the ciphertext and tag of `serialised`, bound to `sender_id`."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(
            nonce, serialised.encode("utf-8"), self._associated_data(sender_id)
        )
        return VERSION + nonce + sealed

    def open(self, sender_id: str, sealed: bytes) -> str:
        """The serialised tracker, or UnreadableTracker if it was not sealed for this sender."""
        if not sealed.startswith(VERSION) or len(sealed) < 1 + NONCE_BYTES + 16:
            raise UnreadableTracker("not a sealed tracker")
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, body, self._associated_data(sender_id))
        except InvalidTag:
            raise UnreadableTracker("the seal does not open for this conversation") from None
        return plain.decode("utf-8")
