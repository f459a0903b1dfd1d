"""Who is signed in, and whether a state-changing form carries their CSRF token."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, HTTPException, Request, status
from sqlalchemy.orm import Session

from api.cases.dependencies import case_keys
from api.cases.service import CaseKeys
from api.crypto.keys import KeyConfigError, hash_key_from
from api.db import get_session, utcnow
from api.settings import Settings, current_settings
from api.staff.models import StaffUser
from api.staff.service import SessionPolicy, csrf_token, resume_session

SESSION_COOKIE = "__Host-qd_session"
#: The sign-in form's CSRF token is derived from this short-lived cookie (before any session).
PRE_SESSION_COOKIE = "__Host-qd_sign_in"
#: Set at a successful sign-in: this browser signed in to that account before (api.throttle).
DEVICE_COOKIE = "__Host-qd_device"
SIGN_IN_FIELDS = ("email", "password", "code", "csrf_token")
LOGIN_PATH = "/staff/login"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class SignedIn:
    user: StaffUser
    session_token: str
    csrf: str


@dataclass(frozen=True)
class SignInForm:
    email: str
    password: str
    code: str
    csrf_token: str


async def sign_in_form(request: Request) -> SignInForm:
    """The sign-in fields as text, a missing or unreadable one (a file, a broken body) empty.

    Read here rather than by FastAPI's form validation, whose 400 and 422 answers the throttle
    never saw: a malformed sign-in is a counted failure with a wrong password's answer. (The
    body's size is already bounded app-wide, and that 413 is let through.)
    """
    try:
        form = await request.form(max_files=0, max_fields=len(SIGN_IN_FIELDS) * 2)
    except HTTPException as error:
        if error.status_code != status.HTTP_400_BAD_REQUEST:
            raise
        return SignInForm("", "", "", "")
    fields = {name: form.get(name) for name in SIGN_IN_FIELDS}
    return SignInForm(**{name: v if isinstance(v, str) else "" for name, v in fields.items()})


def sign_in_hash_key(settings: Annotated[Settings, Depends(current_settings)]) -> bytes:
    """The hash key alone: the sign-in page needs no master key, so it stays up without one."""
    try:
        return hash_key_from(settings)
    except KeyConfigError:
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE, detail="Sign-in is not configured."
        ) from None


def session_policy(settings: Annotated[Settings, Depends(current_settings)]) -> SessionPolicy:
    return SessionPolicy(
        idle=dt.timedelta(minutes=settings.staff_session_idle_minutes),
        absolute=dt.timedelta(hours=settings.staff_session_absolute_hours),
    )


def current_staff(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    keys: Annotated[CaseKeys, Depends(case_keys)],
    policy: Annotated[SessionPolicy, Depends(session_policy)],
) -> SignedIn | None:
    """The member of staff whose live session cookie came with the request, if any."""
    token = request.cookies.get(SESSION_COOKIE)
    user = resume_session(session, token, policy, utcnow()) if token else None
    if user is None or token is None:
        return None
    return SignedIn(user=user, session_token=token, csrf=csrf_token(keys.hash_key, token))


def signed_in(who: Annotated[SignedIn | None, Depends(current_staff)]) -> SignedIn:
    """The signed-in member of staff, or a redirect to the login page (staff pages)."""
    if who is None:
        raise HTTPException(
            status_code=status.HTTP_303_SEE_OTHER,
            headers={"Location": LOGIN_PATH, "Cache-Control": "no-store"},
        )
    return who


def api_staff(
    request: Request, who: Annotated[SignedIn | None, Depends(current_staff)]
) -> SignedIn:
    """The signed-in member of staff for the JSON API: 401 without a session; a request that
    changes something must carry the session's CSRF token in X-CSRF-Token (403 otherwise)."""
    if who is None:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Sign in first.")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        given = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), who.csrf.encode()):
            raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Missing CSRF token.")
    return who


def checked_csrf(
    who: Annotated[SignedIn, Depends(signed_in)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> SignedIn:
    """Every state-changing staff form posts the session's CSRF token; otherwise 403."""
    if not hmac.compare_digest(csrf_token.encode(), who.csrf.encode()):
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Form expired; reload.")
    return who
