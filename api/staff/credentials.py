"""Password and second-factor checks, kept apart from accounts so each is easy to test.

Passwords: Argon2id (argon2-cffi's default type), at least 12 characters and zxcvbn's top score.
TOTP: RFC 6238 via pyotp, one step of clock drift either way, and each time-step usable once.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Sequence

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 12
MIN_PASSWORD_SCORE = 4
"""zxcvbn's top score: at least 10^10 guesses. These accounts open disclosures of abuse; a
passphrase of four unusual words reaches it, "Summer2024!!" (score 3) does not."""
PRODUCT_WORDS = ("quietdoor", "quiet door")
MAX_PASSWORD_CHECKED = 100  # zxcvbn's time grows fast with length; longer is long enough

_hasher = PasswordHasher()
#: Verified against when no account matches, so a missing account takes as long as a wrong one.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


def password_problem(password: str, context: Sequence[str] = ()) -> str | None:
    """Why a new password is refused, or None when it is acceptable.

    zxcvbn estimates the guesses from its bundled lists (passwords common in breaches, English
    words, names, keyboard patterns, dates) and from `context`, words an attacker would try
    first for this account: its e-mail address and the organisation's name.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    strength = zxcvbn(password[:MAX_PASSWORD_CHECKED], user_inputs=[*context, *PRODUCT_WORDS])
    if strength["score"] < MIN_PASSWORD_SCORE:
        warning = strength["feedback"]["warning"]
        because = f" ({warning.rstrip('.').lower()})" if warning else ""
        return (
            f"the password is too easy to guess{because}; choose a passphrase of four or more"
            " unusual words"
        )
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant effort whether or not the account exists."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def matching_totp_step(
    secret: str, code: str, now: dt.datetime, last_step: int | None
) -> int | None:
    """The time-step `code` belongs to (now, or one either side), if later than `last_step`.

    Compared as bytes: `hmac.compare_digest` raises on a str with a non-ASCII character, and
    that 500 (against a wrong password's 401) told an attacker the password was right.
    """
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    given = code.strip().replace(" ", "").encode("utf-8", errors="replace")
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step).encode("ascii"), given):
            return step
    return None
