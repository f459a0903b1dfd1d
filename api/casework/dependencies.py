"""The `Desk` a casework request works at, for the JSON API (401) and the staff pages (login)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from api.audit.service import Auditor
from api.cases.dependencies import case_keys
from api.cases.service import CaseKeys
from api.casework.desk import Desk
from api.db import get_session, utcnow
from api.staff.dependencies import SignedIn, api_staff, checked_csrf, signed_in


def _desk(session: Session, who: SignedIn, keys: CaseKeys) -> Desk:
    return Desk(
        session=session,
        user=who.user,
        now=utcnow(),
        keyring=keys.keyring,
        audit=Auditor(hash_key=keys.hash_key),
    )


def api_desk(
    session: Annotated[Session, Depends(get_session)],
    who: Annotated[SignedIn, Depends(api_staff)],
    keys: Annotated[CaseKeys, Depends(case_keys)],
) -> Desk:
    return _desk(session, who, keys)


def page_desk(
    session: Annotated[Session, Depends(get_session)],
    who: Annotated[SignedIn, Depends(signed_in)],
    keys: Annotated[CaseKeys, Depends(case_keys)],
) -> Desk:
    return _desk(session, who, keys)


def form_desk(
    session: Annotated[Session, Depends(get_session)],
    who: Annotated[SignedIn, Depends(checked_csrf)],
    keys: Annotated[CaseKeys, Depends(case_keys)],
) -> Desk:
    """For a staff form that changes something: its CSRF token is checked first."""
    return _desk(session, who, keys)


ApiDesk = Annotated[Desk, Depends(api_desk)]
PageDesk = Annotated[Desk, Depends(page_desk)]
FormDesk = Annotated[Desk, Depends(form_desk)]
