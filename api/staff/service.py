"""Staff accounts, login, sessions and CSRF tokens (SECURITY.md 5-8).

Login answers the same way whether the e-mail is unknown, the password wrong or the code wrong,
and takes as long. Failures are counted per account name and per address (both stored as keyed
hashes) and too many in the window refuse further tries for a while, known account or not.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

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
from api.staff.models import ROLES, LoginFailure, StaffSession, StaffUser

THROTTLE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
SESSION_ID_BYTES = 32


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


def login(
    session: Session,
    keys: CaseKeys,
    *,
    email: str,
    password: str,
    code: str,
    address: str,
    now: dt.datetime,
) -> tuple[LoginOutcome, StaffUser | None]:
    """Check password and single-use TOTP code, with throttling; never says which part failed."""
    email = normalise_email(email)
    account_key = keyed_hash(keys.hash_key, "login-account", email)
    address_key = keyed_hash(keys.hash_key, "login-address", address)
    if _recent_failures(session, "account", account_key, now) >= MAX_FAILURES_PER_ACCOUNT or (
        _recent_failures(session, "address", address_key, now) >= MAX_FAILURES_PER_ADDRESS
    ):
        return LoginOutcome.THROTTLED, None
    user = session.scalars(select(StaffUser).where(StaffUser.email == email)).first()
    password_ok = verify_password(user.password_hash if user else None, password)
    step = None
    if user is not None and user.active and password_ok:
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
    if user is None or step is None:
        session.add_all(
            [
                LoginFailure(scope="account", key_hash=account_key, at=now),
                LoginFailure(scope="address", key_hash=address_key, at=now),
            ]
        )
        session.commit()
        return LoginOutcome.FAILED, None
    user.last_totp_step = step
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.scope == "account", LoginFailure.key_hash == account_key
        )
    )
    session.commit()
    return LoginOutcome.OK, user


def _recent_failures(session: Session, scope: str, key_hash: str, now: dt.datetime) -> int:
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - THROTTLE_WINDOW))
    return (
        session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.scope == scope, LoginFailure.key_hash == key_hash)
        )
        or 0
    )


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
