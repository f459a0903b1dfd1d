"""The case page: the record, its entries and every form, and what to do next."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from api.cases.models import Case
from api.casework import (
    dash_records,
    entries,
    follow_up,
    links,
    repairs,
    restriction,
    reviews,
    sharing,
    workflow,
)
from api.casework.access import may_work_on
from api.casework.dependencies import PageDesk
from api.casework.desk import Desk
from api.casework.models import (
    CLOSURE_REASONS,
    CONTACT_OUTCOMES,
    LAWFUL_BASES,
    RESTRICTION_REASONS,
    REVIEW_OUTCOMES,
)
from api.casework.pages.rendering import (
    DONE,
    NOTE_KINDS,
    Problem,
    Profile,
    options,
    page_router,
    render,
)
from api.casework.workflow import MOVES, REVEAL_REASONS
from api.dash.marac import referral_indicated
from api.deadlines import deadline_text, moment_text
from api.org.profile import OrgProfile
from api.staff.dependencies import SignedIn, signed_in
from api.staff.models import StaffUser

router = page_router()

# ---- the case --------------------------------------------------------------------------------


def _names(desk: Desk, ids: Iterable[str | None]) -> dict[str, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = desk.session.execute(
        select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(wanted))
    )
    return {row.id: row.email for row in rows}


def _next_steps(case: Case, may_work: bool, assessment: Any) -> list[tuple[str, str]]:
    """(link, words) for what usually comes next, shown after a change (keyboard shortcuts)."""
    base = f"/staff/cases/{case.id}"
    if case.status == "closed":
        return [("/staff/queue", "Back to the case queue")]
    if case.assigned_to is None:
        return [("#take", "Take this case")]
    if not may_work:
        return []
    steps: list[tuple[str, str]] = []
    if case.first_contact_at is None or case.status == "new":
        steps += [("#reveal", "Show the safe contact details"), ("#contact", "Record a contact")]
    if case.status != "new" and assessment is None:
        steps.append((f"{base}/dash", "Start the DASH risk assessment"))
    if assessment is not None and referral_indicated(assessment.criteria):
        steps.append((f"{base}/marac-pack", "Open the MARAC referral pack"))
    if not steps:
        steps = [("#notes", "Add a note or action"), ("/staff/queue", "Back to the case queue")]
    return steps


def case_page_response(
    request: Request,
    desk: Desk,
    profile: OrgProfile,
    who: SignedIn,
    case_id: str,
    *,
    problem: Problem | None = None,
    done: str | None = None,
) -> Response:
    seen = workflow.view(desk, case_id)  # checks access and audits the read
    case = seen.case
    may_work = may_work_on(desk.user, case)
    record = entries.listed(desk, case.id)
    assessment = dash_records.latest(desk, case.id)
    shared = sharing.listed(desk, case.id)
    ordered = repairs.listed(desk, case.id)
    reviewed = reviews.listed(desk, case.id)
    linked = links.linked(desk, case.id)
    messages = follow_up.staff_view(desk, case.id) if case.follow_up_hash else []
    team = workflow.team_members(desk) if desk.user.role == "manager" else []
    access = restriction.access_of(desk, case)
    declared = {member.id for member in access.conflicts}
    named_ids = {member.id for member in access.restriction.named} if access.restriction else set()
    names = _names(
        desk,
        [e.author_id for e in record]
        + [r.decided_by for r, _ in shared]
        + [r.signed_off_by for r, _ in shared]
        + [r.reviewer_id for r, _ in reviewed],
    )
    now = desk.now

    def when(moment: dt.datetime | None) -> str:
        return moment_text(moment, profile.tz, now) if moment else "Not recorded"

    context = {
        "case": case,
        "report": seen.report,
        "assignee": seen.assignee,
        "may_work": may_work,
        "is_manager": desk.user.role == "manager",
        "may_take": case.assigned_to is None and desk.user.role in ("caseworker", "manager"),
        "record": record,
        "assessment": assessment,
        "referral": assessment is not None and referral_indicated(assessment.criteria),
        "shared": shared,
        "ordered": ordered,
        "reviewed": reviewed,
        "linked": linked,
        "messages": messages,
        "anonymous": case.follow_up_hash is not None,
        "team": [member for member in team if member.id not in declared],
        "access": access,
        "named_ids": named_ids,
        "names": names,
        "when": when,
        "respond_by": deadline_text(case.deadline_at, profile.tz, now=now),
        "late": case.first_contact_at is None and case.deadline_at <= now,
        "now": now,
        "moves": MOVES.get(case.status, ()),
        "done": DONE.get(done or ""),
        "next_steps": _next_steps(case, may_work, assessment) if done in DONE else [],
        "problem": problem,
        "org_name": profile.name,
        "o": {
            "reveal": options("reveal_reason", REVEAL_REASONS),
            "method": options("method", entries.CONTACT_METHODS),
            "outcome": options("outcome", CONTACT_OUTCOMES),
            "kind": options("kind", NOTE_KINDS),
            "basis": options("basis", LAWFUL_BASES),
            "consent": [("yes", "Yes, the person consented"), ("no", "No")],
            "review": options("review_outcome", REVIEW_OUTCOMES),
            "closure": options("closure", CLOSURE_REASONS),
            "status": options("status", MOVES.get(case.status, ())),
            "restriction": options("restriction", RESTRICTION_REASONS),
        },
    }
    return render(request, "casework_case.html", context, who=who, code=400 if problem else 200)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request,
    case_id: str,
    desk: PageDesk,
    profile: Profile,
    who: Annotated[SignedIn, Depends(signed_in)],
    done: str = "",
) -> Response:
    return case_page_response(request, desk, profile, who, case_id, done=done[:20])
