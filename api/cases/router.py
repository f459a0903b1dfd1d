"""`POST /internal/cases`: the action server files a report (docs/architecture.md).

The answer says when the team will respond and whether it is working now, with the lines that
answer before then, so the assistant never promises contact sooner than someone will make it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy.orm import Session

from api.cases.dependencies import case_keys, working_calendar
from api.cases.models import Case
from api.cases.schemas import CaseIn, CaseOut
from api.cases.service import CaseKeys, create_case
from api.db import get_session, utcnow
from api.deadlines import WorkingCalendar, deadline_text, team_open_at
from api.internal_auth import require_service_token
from api.org.profile import OrgProfile, get_profile
from api.settings import Settings, current_settings

router = APIRouter(
    prefix="/internal",
    tags=["cases"],
    dependencies=[Depends(require_service_token)],
)


@router.post(
    "/cases",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseOut,
    responses={200: {"model": CaseOut, "description": "Same idempotency key: the same case"}},
)
def post_case(
    report: CaseIn,
    request: Request,
    response: Response,
    session: Annotated[Session, Depends(get_session)],
    keys: Annotated[CaseKeys, Depends(case_keys)],
    calendar: Annotated[WorkingCalendar, Depends(working_calendar)],
    profile: Annotated[OrgProfile, Depends(get_profile)],
    settings: Annotated[Settings, Depends(current_settings)],
) -> CaseOut:
    now = utcnow()
    result = create_case(
        session,
        report,
        keys=keys,
        calendar=calendar,
        alert_recipients=settings.alert_email_list,
        now=now,
        follow_up_code_days=settings.follow_up_code_days,
        reports_per_address_per_day=settings.web_chat_reports_per_day_per_address,
    )
    case = result.case
    if result.created:
        worker = getattr(request.app.state, "outbox", None)
        if worker is not None:
            worker.wake()
    else:
        response.status_code = status.HTTP_200_OK
    return case_answer(case, result.follow_up_code, profile, calendar, now)


def case_answer(
    case: Case,
    follow_up_code: str | None,
    profile: OrgProfile,
    calendar: WorkingCalendar,
    now: dt.datetime,
) -> CaseOut:
    """The stored case in the words the assistant needs, read against the clock at `now`."""
    line = profile.round_the_clock_line()
    out_of_hours = profile.out_of_hours
    return CaseOut(
        reference=case.reference,
        follow_up_code=follow_up_code,
        urgency=case.urgency,
        deadline=case.deadline_at.astimezone(calendar.tz),
        deadline_text=deadline_text(case.deadline_at, calendar.tz, now=now),
        contact_method=case.contact_method,
        team_open_now=team_open_at(now, calendar),
        helpline_name=line.name,
        helpline_contact=line.contact,
        out_of_hours_name=out_of_hours.name if out_of_hours else None,
        out_of_hours_contact=out_of_hours.contact if out_of_hours else None,
    )
