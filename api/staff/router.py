"""Staff pages: sign in and sign out. Server-rendered, no JavaScript; the queue and the cases
are in `api.casework.pages`.

The sign-in form carries a CSRF token bound to a short-lived pre-session cookie; a post without
it, or with another one, is refused (403) before any credential is looked at, and counts for
nothing. Past that check, every answer but success is the same 401 page, malformed fields
included, and is a counted failure; a try during a backoff gets 429 and the wait.
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from api.audit.service import Auditor
from api.cases.dependencies import case_keys
from api.cases.service import CaseKeys
from api.db import get_session, utcnow
from api.staff.dependencies import (
    DEVICE_COOKIE,
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    SignedIn,
    SignInForm,
    checked_csrf,
    sign_in_form,
    sign_in_hash_key,
)
from api.staff.service import (
    LoginOutcome,
    end_session,
    login,
    sign_in_form_token,
    start_session,
)

router = APIRouter(prefix="/staff", tags=["staff"])
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
STYLESHEET = Path(__file__).parent / "static" / "staff.css"

FAILED_MESSAGE = "Those details did not work. Check them and try again."
THROTTLED_MESSAGE = "Too many tries. Wait {wait}, then try again."
EXPIRED_MESSAGE = "This page had expired. Enter your details again."
#: Long enough to read the page and find the authenticator app, short enough to be worthless
#: when left behind on a shared computer.
PRE_SESSION_SECONDS = 60 * 60
#: A member of staff back from a long leave is still known on their own computer.
DEVICE_SECONDS = 400 * 24 * 60 * 60
_COOKIE = {"path": "/", "secure": True, "httponly": True, "samesite": "strict"}


def _login_page(
    request: Request,
    hash_key: bytes,
    error: str | None = None,
    code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The form, with a token for the browser's pre-session cookie (made now if it has none)."""
    pre_session = request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"error": error, "csrf_token": sign_in_form_token(hash_key, pre_session)},
        status_code=code,
        headers=headers,
    )
    response.set_cookie(PRE_SESSION_COOKIE, pre_session, max_age=PRE_SESSION_SECONDS, **_COOKIE)
    return response


@router.get("/staff.css", include_in_schema=False)
def stylesheet() -> Response:
    """Served from here, not inline, because the gateway's CSP allows styles from 'self' only."""
    return FileResponse(STYLESHEET, media_type="text/css")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, hash_key: Annotated[bytes, Depends(sign_in_hash_key)]) -> Response:
    return _login_page(request, hash_key)


@router.post(
    "/login",
    response_class=HTMLResponse,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            name: {"type": "string"}
                            for name in ("email", "password", "code", "csrf_token")
                        },
                    }
                }
            }
        }
    },
)
def login_submit(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    keys: Annotated[CaseKeys, Depends(case_keys)],
    form: Annotated[SignInForm, Depends(sign_in_form)],
) -> Response:
    pre_session = request.cookies.get(PRE_SESSION_COOKIE, "")
    expected = sign_in_form_token(keys.hash_key, pre_session).encode()
    if not pre_session or not hmac.compare_digest(form.csrf_token.encode(), expected):
        return _login_page(request, keys.hash_key, EXPIRED_MESSAGE, status.HTTP_403_FORBIDDEN)
    now = utcnow()
    result = login(
        session,
        keys,
        email=form.email,
        password=form.password,
        code=form.code,
        address=request.client.host if request.client else "unknown",
        now=now,
        device=request.cookies.get(DEVICE_COOKIE),
    )
    if result.outcome is LoginOutcome.THROTTLED:
        seconds = math.ceil(result.wait.total_seconds())
        return _login_page(
            request,
            keys.hash_key,
            THROTTLED_MESSAGE.format(wait=_how_long(result.wait)),
            status.HTTP_429_TOO_MANY_REQUESTS,
            {"Retry-After": str(seconds)},
        )
    if result.user is None or result.device is None:
        return _login_page(request, keys.hash_key, FAILED_MESSAGE, status.HTTP_401_UNAUTHORIZED)
    token = start_session(session, result.user, now, replaces=request.cookies.get(SESSION_COOKIE))
    _audit(session, keys.hash_key, "staff.sign_in", result.user.id, now)
    response = RedirectResponse("/staff/queue", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(SESSION_COOKIE, token, **_COOKIE)
    response.set_cookie(DEVICE_COOKIE, result.device, max_age=DEVICE_SECONDS, **_COOKIE)
    response.delete_cookie(PRE_SESSION_COOKIE, **_COOKIE)
    return response


@router.post("/logout")
def logout(
    session: Annotated[Session, Depends(get_session)],
    who: Annotated[SignedIn, Depends(checked_csrf)],
    keys: Annotated[CaseKeys, Depends(case_keys)],
) -> Response:
    """Ends the session; the known-device cookie stays, as it is no way in on its own."""
    _audit(session, keys.hash_key, "staff.sign_out", who.user.id, utcnow())
    end_session(session, who.session_token)
    response = RedirectResponse("/staff/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, **_COOKIE)
    return response


def _audit(session: Session, hash_key: bytes, action: str, staff_id: str, now: dt.datetime) -> None:
    """Signing in and out are audited like every staff act: the account's id, nothing typed."""
    Auditor(hash_key=hash_key).record(
        session, actor_id=staff_id, action=action, object_type="staff", object_id=staff_id, now=now
    )
    session.commit()


def _how_long(wait: dt.timedelta) -> str:
    seconds = math.ceil(wait.total_seconds())
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
