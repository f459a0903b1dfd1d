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
from api.db import get_session, utcnow
from api.settings import Settings, current_settings
from api.staff.models import StaffUser
from api.staff.service import SessionPolicy, csrf_token, resume_session

SESSION_COOKIE = "__Host-qd_session"
LOGIN_PATH = "/staff/login"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class SignedIn:
    user: StaffUser
    session_token: str
    csrf: str


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
