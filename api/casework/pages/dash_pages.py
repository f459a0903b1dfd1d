"""The DASH risk checklist form and its result page."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from api.cases.models import Case
from api.casework import (
    dash_records,
)
from api.casework.access import case_to_work_on
from api.casework.dependencies import FormDesk, PageDesk
from api.casework.desk import Desk
from api.casework.pages.rendering import Posted, Problem, Profile, page_router, render, see_other
from api.casework.workflow import BadRequest
from api.dash.marac import referral_indicated
from api.dash.questions import (
    ANSWER_LABELS,
    BEFORE_YOU_ASK,
    COMMENT_MAX_CHARS,
    NAME_GAP_NOTE,
    QUESTIONS_BY_CODE,
    SECTION_TITLES,
    Answer,
    questions_in,
)
from api.dash.scoring import answers_from_form
from api.deadlines import moment_text
from api.org.profile import OrgProfile
from api.staff.dependencies import SignedIn, checked_csrf, signed_in

router = page_router()

# ---- DASH ------------------------------------------------------------------------------------

SECTIONS = tuple((title, questions_in(section)) for section, title in SECTION_TITLES.items())
_QUOTED_CODE = re.compile(r"'([a-z_]+)'")


def _dash_page(
    request: Request,
    desk: Desk,
    profile: OrgProfile,
    who: SignedIn,
    case: Case,
    problem: Problem | None = None,
) -> Response:
    return render(
        request,
        "casework_dash.html",
        {
            "case": case,
            "sections": SECTIONS,
            "before_you_ask": BEFORE_YOU_ASK,
            "name_gap_note": NAME_GAP_NOTE,
            "answers": list(ANSWER_LABELS.items()),
            "banding": profile.dash,
            "problem": problem,
            "org_name": profile.name,
        },
        who=who,
        code=400 if problem else 200,
    )


@router.get("/cases/{case_id}/dash", response_class=HTMLResponse)
def dash_form(
    request: Request,
    case_id: str,
    desk: PageDesk,
    profile: Profile,
    who: Annotated[SignedIn, Depends(signed_in)],
) -> Response:
    case = case_to_work_on(desk.session, desk.user, case_id)
    desk.log("dash.form.view", "case", case.id)  # a staff read, though the form is blank
    desk.session.commit()
    return _dash_page(request, desk, profile, who, case)


def _dash_error(message: str) -> tuple[str, str]:
    """The field a DASH parsing error is about, and the words to show."""
    match = _QUOTED_CODE.search(message)
    code = match.group(1) if match and match.group(1) in QUESTIONS_BY_CODE else None
    if code is None:
        return ("answer_injury", "Check the answers: " + message)
    number = QUESTIONS_BY_CODE[code].number
    if "comment but no answer" in message:
        return (f"answer_{code}", f"Question {number} has a comment: choose Yes, No or Not known")
    if "limited to" in message:
        return (
            f"comment_{code}",
            f"The comment on question {number} must be {COMMENT_MAX_CHARS:,} characters or fewer",
        )
    return (f"answer_{code}", f"Question {number}: choose Yes, No or Not known")


@router.post("/cases/{case_id}/dash")
def dash_submit(
    request: Request,
    case_id: str,
    desk: FormDesk,
    profile: Profile,
    form: Posted,
    who: Annotated[SignedIn, Depends(checked_csrf)],
) -> Response:
    case = case_to_work_on(desk.session, desk.user, case_id)
    errors: list[tuple[str, str]] = []
    answers: dict[str, Answer] = {}
    try:
        answers = answers_from_form(form)
    except ValueError as error:
        errors.append(_dash_error(str(error)))
    incidents_text = form.get("incidents_last_12_months", "").strip() or "0"
    incidents = int(incidents_text) if re.fullmatch(r"[0-9]{1,4}", incidents_text) else -1
    if not 0 <= incidents <= 1000:
        errors.append(
            ("incidents_last_12_months", "Enter the number of incidents as a whole number, like 2")
        )
    if not errors:
        try:
            dash_records.record(
                desk,
                case.id,
                answers=answers,
                professional_judgement=form.get("professional_judgement") == "yes",
                incidents_last_12_months=incidents,
                banding=profile.dash,
            )
        except BadRequest as error:
            errors.append(("answer_injury", str(error.detail)))
    if errors:
        values = {k: v for k, v in form.items() if k != "csrf_token"}
        return _dash_page(request, desk, profile, who, case, Problem("dash", errors, values))
    return see_other(f"/staff/cases/{case.id}/dash/result")


@router.get("/cases/{case_id}/dash/result", response_class=HTMLResponse)
def dash_result(
    request: Request,
    case_id: str,
    desk: PageDesk,
    profile: Profile,
    who: Annotated[SignedIn, Depends(signed_in)],
) -> Response:
    case = case_to_work_on(desk.session, desk.user, case_id)
    assessment = dash_records.latest(desk, case.id)
    if assessment is None:
        raise HTTPException(status_code=404, detail="No risk assessment yet.")
    desk.log("dash.view", "case", case.id)
    desk.session.commit()
    return render(
        request,
        "casework_dash_result.html",
        {
            "case": case,
            "assessment": assessment,
            "referral": referral_indicated(assessment.criteria),
            "assessed": moment_text(assessment.created_at, profile.tz, desk.now),
            "org_name": profile.name,
            "total": len(QUESTIONS_BY_CODE),
        },
        who=who,
    )
