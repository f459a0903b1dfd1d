"""Staff accounts, login, sessions and CSRF tokens (SECURITY.md 5-8, 19).

Login answers the same way whether the e-mail is unknown, the password wrong, the code wrong or
any field malformed, and takes as long; every such answer is a counted failure. Failures slow
further tries down with a backoff (`api.throttle`), never lock anyone out: a browser that signed
in to the account before carries a known-device cookie and is held only by its own failures,
not by a stranger's guesses at the account or from its address.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from api import throttle
from api.cases.service import CaseKeys
from api.crypto.envelope import new_data_key, open_column, seal_value
from api.crypto.hashing import keyed_hash
from api.staff.credentials import (
    hash_password,
    matching_totp_step,
    new_totp_secret,
    password_problem,
    verify_password,
)
from api.staff.models import ROLES, StaffSession, StaffUser

SESSION_ID_BYTES = 32
DEVICE_ID_BYTES = 16
#: Longer sign-in fields are malformed: a counted failure, and never hashed at full length.
MAX_EMAIL_CHARS = 320
MAX_PASSWORD_CHARS = 1024
MAX_CODE_CHARS = 12


class AccountError(ValueError):
    """An account cannot be created as asked; the message is safe to show the operator."""


class LoginOutcome(enum.Enum):
    OK = "ok"
    FAILED = "failed"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SessionPolicy:
    idle: dt.timedelta
    absolute: dt.timedelta


DEFAULT_TEAM = "resolution"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session,
    keys: CaseKeys,
    *,
    email: str,
    role: str,
    password: str,
    now: dt.datetime,
    team: str = DEFAULT_TEAM,
    organisation: str = "",
) -> tuple[StaffUser, str]:
    """A new active account; returns it and the TOTP secret to enrol in an authenticator app.

    `organisation` (the landlord's name) is among the words a password must not lean on.
    """
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise AccountError("the e-mail address does not look right")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    if problem := password_problem(password, (email, organisation)):
        raise AccountError(problem)
    team = team.strip()
    if not team or len(team) > 40:
        raise AccountError("the team name must be 1 to 40 characters")
    if session.scalars(select(StaffUser).where(StaffUser.email == email)).first():
        raise AccountError("an account with that e-mail address already exists")
    user_id = str(uuid.uuid4())
    key_row, dek = new_data_key(keys.keyring)
    secret = new_totp_secret()
    user = StaffUser(
        id=user_id,
        email=email,
        password_hash=hash_password(password),
        role=role,
        team=team,
        active=True,
        data_key_id=key_row.id,
        sealed_totp=seal_value(dek, StaffUser.__tablename__, "sealed_totp", user_id, secret),
        created_at=now,
    )
    session.add_all([key_row, user])
    session.commit()
    return user, secret


def disable_user(session: Session, email: str) -> bool:
    """Refuse future logins and end every open session of the account at once."""
    user = session.scalars(
        select(StaffUser).where(StaffUser.email == normalise_email(email))
    ).first()
    if user is None:
        return False
    user.active = False
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    session.commit()
    return True


@dataclass(frozen=True)
class LoginResult:
    """`device`: the known-device cookie to set on success; `wait`: how long when throttled."""

    outcome: LoginOutcome
    user: StaffUser | None = None
    device: str | None = None
    wait: dt.timedelta = throttle.NO_WAIT


def login(
    session: Session,
    keys: CaseKeys,
    *,
    email: str,
    password: str,
    code: str,
    address: str,
    now: dt.datetime,
    device: str | None = None,
) -> LoginResult:
    """Check password and single-use TOTP code, with backoff; never says which part failed.

    `device` is the known-device cookie the browser sent, if any. A try during a backoff is
    refused before anything is checked and is not counted.
    """
    email = normalise_email(email)
    hash_key = keys.hash_key
    address_key = keyed_hash(hash_key, "login-address", address)
    device_key = _known_device_key(hash_key, email, device) if device else None
    # A known device answers for its own failures only; a stranger for the account's and the
    # address's as well.
    own = (
        (throttle.LOGIN_DEVICE, device_key)
        if device_key
        else (throttle.LOGIN_ACCOUNT, keyed_hash(hash_key, "login-account", email))
    )
    held = dict([own] if device_key else [own, (throttle.LOGIN_ADDRESS, address_key)])
    busy = throttle.crowded(session, throttle.LOGIN_CEILING, now)
    wait = max(throttle.wait_left(session, b, k, now, crowded=busy) for b, k in held.items())
    if wait > throttle.NO_WAIT:
        return LoginResult(LoginOutcome.THROTTLED, wait=wait)
    user = _checked_user(session, keys, email, password, code, now)
    if user is None:
        failed = {backoff.scope: key for backoff, key in held.items()}
        throttle.record_failure(session, failed | {throttle.LOGIN_ADDRESS.scope: address_key}, now)
        session.commit()
        return LoginResult(LoginOutcome.FAILED)
    throttle.forget(session, *own)
    session.commit()
    return LoginResult(LoginOutcome.OK, user, device if device_key else new_device(hash_key, email))


def _checked_user(
    session: Session, keys: CaseKeys, email: str, password: str, code: str, now: dt.datetime
) -> StaffUser | None:
    """The active account whose password and unused code these are, its code now spent.

    A malformed field is looked up as no account, so it costs and answers like a wrong password.
    """
    well_formed = (
        len(email) <= MAX_EMAIL_CHARS
        and len(password) <= MAX_PASSWORD_CHARS
        and len(code) <= MAX_CODE_CHARS
        and code.isascii()
    )
    user = (
        session.scalars(select(StaffUser).where(StaffUser.email == email)).first()
        if well_formed and email
        else None
    )
    stored = user.password_hash if user else None
    password_ok = verify_password(stored, password[:MAX_PASSWORD_CHARS])
    if user is None or not user.active or not password_ok:
        return None
    secret = open_column(
        session,
        keys.keyring,
        user.data_key_id,
        StaffUser.__tablename__,
        "sealed_totp",
        user.id,
        user.sealed_totp,
    )
    step = matching_totp_step(secret, code, now, user.last_totp_step)
    if step is None or not claim_totp_step(session, user.id, step):
        return None
    return user


def claim_totp_step(session: Session, user_id: str, step: int) -> bool:
    """Spend a TOTP time-step: True for the one caller that moved `last_totp_step` up to it.

    One conditional UPDATE, not a read then a write: on PostgreSQL a second login with the same
    code waits for the first one's row lock, re-checks the condition and changes no row.
    """
    result = session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == user_id,
            or_(StaffUser.last_totp_step.is_(None), StaffUser.last_totp_step < step),
        )
        .values(last_totp_step=step)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def new_device(hash_key: bytes, email: str) -> str:
    """A known-device cookie for `email`: a random id and a keyed hash binding it to the account."""
    device_id = secrets.token_urlsafe(DEVICE_ID_BYTES)
    return f"{device_id}.{_device_hash(hash_key, 'known-device', email, device_id)}"


def _known_device_key(hash_key: bytes, email: str, cookie: str) -> str | None:
    """The device's own throttle key if `cookie` was issued for this account, else None."""
    device_id, _, mac = cookie.partition(".")
    expected = _device_hash(hash_key, "known-device", email, device_id)
    if not device_id or not hmac.compare_digest(mac.encode("utf-8", "replace"), expected.encode()):
        return None
    return _device_hash(hash_key, "login-device", email, device_id)


def _device_hash(hash_key: bytes, purpose: str, email: str, device_id: str) -> str:
    return keyed_hash(hash_key, purpose, f"{email}\x00{device_id}")


def _session_hash(token: str) -> str:
    """Plain SHA-256 is enough: the token has 256 random bits, so nothing can be guessed back."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session, user: StaffUser, now: dt.datetime, replaces: str | None = None
) -> str:
    """A fresh random session id (never reused across logins); returns the cookie value."""
    if replaces:
        end_session(session, replaces)
    token = secrets.token_urlsafe(SESSION_ID_BYTES)
    session.add(
        StaffSession(
            id_hash=_session_hash(token), user_id=user.id, created_at=now, last_seen_at=now
        )
    )
    session.commit()
    return token


def resume_session(
    session: Session, token: str, policy: SessionPolicy, now: dt.datetime
) -> StaffUser | None:
    """The signed-in user for a cookie, or None; an expired session is deleted on sight."""
    row = session.get(StaffSession, _session_hash(token))
    if row is None:
        return None
    user = session.get(StaffUser, row.user_id)
    expired = now - row.last_seen_at > policy.idle or now - row.created_at > policy.absolute
    if expired or user is None or not user.active:
        session.delete(row)
        session.commit()
        return None
    row.last_seen_at = now
    session.commit()
    return user


def end_session(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.id_hash == _session_hash(token)))
    session.commit()


def csrf_token(hash_key: bytes, session_token: str) -> str:
    """Derived from the session, so it needs no storage and dies with the session."""
    return keyed_hash(hash_key, "csrf", session_token)


def sign_in_form_token(hash_key: bytes, pre_session: str) -> str:
    """The sign-in form's CSRF token, derived from the short-lived pre-session cookie's value.

    A page elsewhere cannot read the cookie nor, without the hash key, compute the token, so it
    cannot sign a member of staff's browser in to an account of its choosing.
    """
    return keyed_hash(hash_key, "sign-in-form", pre_session)
