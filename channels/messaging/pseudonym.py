"""The name Rasa and our tables know a messaging contact by: never the number or chat id.

A keyed hash (QD_HASH_KEY) of the channel and address: the same person on the same channel gets
the same conversation back, and nobody without the key can turn the name into a number, or
check a guessed number against it.
"""

from __future__ import annotations

from api.crypto.hashing import keyed_hash

PSEUDONYM_HEX_CHARS = 40


def pseudonym_for(hash_key: bytes, channel: str, address: str) -> str:
    """`sms-3f9c...`: the channel (so the actions know it) and 160 bits of keyed hash."""
    digest = keyed_hash(hash_key, "messaging-sender", f"{channel}:{address}")
    return f"{channel}-{digest[:PSEUDONYM_HEX_CHARS]}"


def delivery_hash(hash_key: bytes, channel: str, delivery_id: str) -> str:
    """Twilio's MessageSid or Telegram's update_id, hashed: enough to spot a retry."""
    return keyed_hash(hash_key, "messaging-delivery", f"{channel}:{delivery_id}")
