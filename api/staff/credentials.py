"""Password and second-factor checks, kept apart from accounts so each is easy to test.

Passwords: Argon2id (argon2-cffi's default type), at least 12 characters, not a well-known one.
TOTP: RFC 6238 via pyotp, one step of clock drift either way, and each time-step usable once.
"""

from __future__ import annotations

import datetime as dt
import hmac

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
COMMON_PASSWORDS = frozenset(
    {
        "password1234",
        "password12345",
        "password123456",
        "passwordpassword",
        "123456789012",
        "1234567890123",
        "12345678901234",
        "qwertyuiopas",
        "qwerty123456",
        "qwertyqwerty",
        "iloveyou1234",
        "letmein12345",
        "welcome12345",
        "welcome123456",
        "administrator",
        "changeme1234",
        "trustno11234",
        "football1234",
        "monkey123456",
        "abcdefghijkl",
        "abc123abc123",
        "aaaaaaaaaaaa",
        "111111111111",
        "000000000000",
        "passw0rd1234",
        "p@ssw0rd1234",
        "quietdoor123",
        "quietdoor1234",
        "stonewater123",
        "housing12345",
        "summer202020",
        "winter202020",
    }
)

_hasher = PasswordHasher()
#: Verified against when no account matches, so a missing account takes as long as a wrong one.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    if password.lower() in COMMON_PASSWORDS or len(set(password)) <= 2:
        return "the password is too common; choose a longer passphrase"
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
