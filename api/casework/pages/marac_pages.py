"""The MARAC referral pack, as a printable page and as a PDF."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import Request, status
from fastapi.responses import FileResponse, HTMLResponse, Response

from api.cases.models import Case
from api.cases.service import open_contact, open_report
from api.casework import (
    dash_records,
    sharing,
)
from api.casework.access import case_to_work_on
from api.casework.dependencies import PageDesk
from api.casework.desk import Desk
from api.casework.pages.rendering import PACK_STYLESHEET_URL, Profile, label, page_router, templates
from api.dash.pack import PACK_STYLESHEET, MaracPackData, render_html, render_pdf, yes_answers_from
from api.dash.questions import (
    COMMENT_MAX_CHARS,
    Answer,
)
from api.org.profile import OrgProfile
from api.staff.models import StaffUser

router = page_router()

# ---- the MARAC referral pack ----------------------------------------------------------------

_TRISTATE = {"yes": "yes", "no": "no"}


def _limit(text: str, chars: int = 500) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _safe_contact_method(case: Case, contact: Mapping[str, Any]) -> str:
    parts = []
    if case.contact_method:
        how = label(case.contact_method, "method")
        detail = (contact.get("contact_detail") or "").strip()
        parts.append(f"{how}: {detail}" if detail else how)
    for key, what in (("voicemail_safe", "Voicemail"), ("letter_safe", "Letters")):
        value = contact.get(key)
        if value in ("yes", "no"):
            parts.append(f"{what} {'safe' if value == 'yes' else 'not safe'}")
    return _limit(". ".join(parts))


def _interpreter_needs(contact: Mapping[str, Any]) -> str:
    language = (contact.get("language") or "").strip()
    interpreter = contact.get("interpreter")
    parts = []
    if interpreter in ("language", "bsl", "unknown"):
        parts.append(label(interpreter, "interpreter"))
    if language:
        parts.append(f"Language: {language}")
    return _limit(". ".join(parts))


def _pack_data(desk: Desk, profile: OrgProfile, case_id: str) -> MaracPackData:
    """The pack from the case, its latest DASH, its sharing decision and the contact details."""
    case = case_to_work_on(desk.session, desk.user, case_id)
    assessment = dash_records.latest(desk, case.id)
    if assessment is None:
        raise _NoPack("There is no DASH risk assessment on this case yet.")
    report = open_report(desk.session, desk.keyring, case)
    contact = open_contact(desk.session, desk.keyring, case)
    consent = _TRISTATE.get(report.get("consent_to_share") or "", "not_known")
    reason = ""
    # The latest recorded decision to share with MARAC is the consent the referral goes on.
    to_marac = [(row, detail) for row, detail in sharing.listed(desk, case.id)]
    to_marac = [(row, detail) for row, detail in to_marac if row.lawful_basis == "marac"]
    if to_marac:
        row, detail = to_marac[-1]
        consent = "yes" if row.with_consent else "no"
        reason = "" if row.with_consent else (detail.get("reason") or "")
    if consent == "no" and not reason.strip():
        raise _NoPack(
            "The person has not consented to sharing. Record the decision to share with MARAC "
            "without consent, and its reason, in the information sharing log first."
        )
    assessor = desk.session.get(StaffUser, assessment.assessor_id)
    answers = {
        code: Answer(given["value"], given.get("comment", ""))  # type: ignore[arg-type]
        for code, given in assessment.answers.items()
    }
    return MaracPackData(
        reference=case.reference,
        assessed_on=assessment.created_at.astimezone(profile.tz).date(),
        organisation=profile.name,
        risk_level=assessment.risk_level,  # type: ignore[arg-type]
        yes_count=assessment.yes_count,
        criteria=tuple(assessment.criteria),  # type: ignore[arg-type]
        yes_answers=yes_answers_from(answers),
        children_in_household=_TRISTATE.get(case.children or "", "not_known"),  # type: ignore[arg-type]
        consent_to_share=consent,  # type: ignore[arg-type]
        sharing_without_consent_reason=_limit(reason, COMMENT_MAX_CHARS)
        if consent != "yes"
        else "",
        safe_contact_method=_safe_contact_method(case, contact),
        safe_times=_limit((contact.get("safe_times") or "").strip()),
        interpreter_needs=_interpreter_needs(contact),
        assessor_name=assessor.email if assessor else "Not recorded",
        assessor_role=label(assessor.role if assessor else None, "role"),
    )


class _NoPack(Exception):
    pass


def _pack_or_problem(
    request: Request, desk: Desk, profile: OrgProfile, case_id: str
) -> MaracPackData | Response:
    try:
        data = _pack_data(desk, profile, case_id)
    except _NoPack as missing:
        return templates.TemplateResponse(
            request,
            "casework_problem.html",
            {
                "title": "The MARAC referral pack is not ready",
                "explain": str(missing),
                "case_id": case_id,
                "problem": None,
            },
            status_code=status.HTTP_409_CONFLICT,
        )
    # The pack shows the safe contact details: an audited read, like revealing them.
    desk.log("marac.pack", "case", case_id)
    desk.session.commit()
    return data


@router.get("/cases/{case_id}/marac-pack", response_class=HTMLResponse)
def marac_pack_html(request: Request, case_id: str, desk: PageDesk, profile: Profile) -> Response:
    data = _pack_or_problem(request, desk, profile, case_id)
    if isinstance(data, Response):
        return data
    page = render_html(data, stylesheet_urls=("/staff/staff.css", PACK_STYLESHEET_URL))
    return HTMLResponse(page)


@router.get("/cases/{case_id}/marac-pack.pdf")
def marac_pack_pdf(request: Request, case_id: str, desk: PageDesk, profile: Profile) -> Response:
    data = _pack_or_problem(request, desk, profile, case_id)
    if isinstance(data, Response):
        return data
    filename = re.sub(r"[^A-Za-z0-9-]", "", data.reference) or "marac-pack"
    return Response(
        render_pdf(data),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'},
    )


@router.get("/marac-pack.css")
def pack_stylesheet() -> Response:
    """The pack's print styles, served like staff.css (the CSP allows styles from 'self' only)."""
    return FileResponse(PACK_STYLESHEET, media_type="text/css")
