"""Staff pages: sign in and sign out. Server-rendered, no JavaScript; the queue and the cases
are in `api.casework.pages`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from api.cases.dependencies import case_keys
from api.cases.service import CaseKeys
from api.db import get_session, utcnow
from api.staff.dependencies import SESSION_COOKIE, SignedIn, checked_csrf
from api.staff.service import LoginOutcome, end_session, login, start_session

router = APIRouter(prefix="/staff", tags=["staff"])
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
STYLESHEET = Path(__file__).parent / "static" / "staff.css"

FAILED_MESSAGE = "Those details did not work. Check them and try again."
THROTTLED_MESSAGE = "Too many attempts. Wait 15 minutes, then try again."


def _login_page(request: Request, error: str | None = None, code: int = 200) -> Response:
    return templates.TemplateResponse(request, "login.html", {"error": error}, status_code=code)


@router.get("/staff.css", include_in_schema=False)
def stylesheet() -> Response:
    """Served from here, not inline, because the gateway's CSP allows styles from 'self' only."""
    return FileResponse(STYLESHEET, media_type="text/css")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    keys: Annotated[CaseKeys, Depends(case_keys)],
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    code: Annotated[str, Form(max_length=12)],
) -> Response:
    address = request.client.host if request.client else "unknown"
    now = utcnow()
    outcome, user = login(
        session, keys, email=email, password=password, code=code, address=address, now=now
    )
    if outcome is LoginOutcome.THROTTLED:
        return _login_page(request, THROTTLED_MESSAGE, status.HTTP_429_TOO_MANY_REQUESTS)
    if user is None:
        return _login_page(request, FAILED_MESSAGE, status.HTTP_401_UNAUTHORIZED)
    token = start_session(session, user, now, replaces=request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/staff/queue", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE, token, path="/", secure=True, httponly=True, samesite="strict"
    )
    return response


@router.post("/logout")
def logout(
    session: Annotated[Session, Depends(get_session)],
    who: Annotated[SignedIn, Depends(checked_csrf)],
) -> Response:
    end_session(session, who.session_token)
    response = RedirectResponse("/staff/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response
