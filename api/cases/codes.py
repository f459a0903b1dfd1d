"""Case references and follow-up codes: random, and easy to read aloud or type.

The alphabet leaves out 0/O, 1/I/L so a code read over the phone or copied by hand survives.
A follow-up code has 16 characters (about 79 bits): it cannot be guessed, so an anonymous
reporter can use it later without giving any contact detail. Only its keyed hash is stored.
"""

from __future__ import annotations

import secrets

from api.crypto.hashing import keyed_hash

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
FOLLOW_UP_PURPOSE = "follow-up-code"


def _random_groups(groups: int, size: int = 4) -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(size)) for _ in range(groups))


def new_reference() -> str:
    """`QD-XXXX-XXXX`: what staff and alerts use to name a case."""
    return f"QD-{_random_groups(2)}"


def new_follow_up_code() -> str:
    """`XXXX-XXXX-XXXX-XXXX`, given once to an anonymous reporter."""
    return _random_groups(4)


def normalise_follow_up_code(code: str) -> str:
    """Upper case without spaces or dashes, so 'abcd efgh-...' matches what was issued."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def follow_up_hash(hash_key: bytes, code: str) -> str:
    return keyed_hash(hash_key, FOLLOW_UP_PURPOSE, normalise_follow_up_code(code))
