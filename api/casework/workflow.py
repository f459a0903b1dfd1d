"""The case's life: taken or assigned, moved through its statuses, viewed, closed with a reason.

Statuses: new -> in_contact -> risk_assessed -> support_plan <-> under_review -> closed. A case is
closed only through `closure.close`, with a reason; a contact or a DASH moves it on by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, status
from sqlalchemy import select

from api.alerts.models import Alert
from api.cases.models import Case
from api.cases.service import open_contact, open_report
from api.casework.access import (
    NotAllowed,
    admitted_to,
    case_for,
    case_to_work_on,
    require_role,
)
from api.casework.desk import Desk
from api.casework.records import write_entry
from api.staff.models import StaffUser

STATUSES = ("new", "in_contact", "risk_assessed", "support_plan", "under_review", "closed")
MOVES = {
    "new": ("in_contact",),
    "in_contact": ("risk_assessed", "support_plan"),
    "risk_assessed": ("support_plan", "under_review"),
    "support_plan": ("under_review",),
    "under_review": ("support_plan",),
}
REVEAL_REASONS = ("arranging_contact", "safety_check", "marac_referral", "repair_access")


class BadRequest(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(status_code=status.HTTP_400_BAD_REQUEST, detail=detail)


@dataclass(frozen=True)
class CaseView:
    """What a member of staff sees when they open a case (the viewing is audited)."""

    case: Case
    report: dict[str, Any]
    assignee: StaffUser | None


def view(desk: Desk, case_id: str) -> CaseView:
    case = case_for(desk.session, desk.user, case_id)
    report = open_report(desk.session, desk.keyring, case)
    assignee = desk.session.get(StaffUser, case.assigned_to) if case.assigned_to else None
    desk.log("case.view", "case", case.id)
    desk.session.commit()
    return CaseView(case, report, assignee)


def take(desk: Desk, case_id: str) -> Case:
    """A caseworker or manager takes an unassigned case into their own hands."""
    require_role(desk.user, "caseworker", "manager")
    case = case_for(desk.session, desk.user, case_id)
    if case.assigned_to is not None:
        raise BadRequest("This case is already assigned.")
    case.assigned_to, case.team = desk.user.id, desk.user.team
    desk.log("case.take", "case", case.id)
    alert = desk.session.scalars(select(Alert).where(Alert.case_id == case.id)).first()
    if alert is not None and alert.acknowledged_at is None:  # taking it is answering the alert
        alert.acknowledged_at, alert.acknowledged_by = desk.now, desk.user.id
        desk.log("alert.acknowledge", "alert", alert.id)
    desk.session.commit()
    return case


def assign(desk: Desk, case_id: str, staff_id: str) -> Case:
    """A manager gives a case to someone in their team."""
    require_role(desk.user, "manager")
    case = case_for(desk.session, desk.user, case_id)
    assignee = desk.session.get(StaffUser, staff_id) if len(staff_id) <= 36 else None
    if (
        assignee is None
        or not assignee.active
        or assignee.team != desk.user.team
        or assignee.role not in ("caseworker", "manager")
    ):
        raise BadRequest("Choose an active caseworker in your team.")
    if not admitted_to(desk.session, assignee, case):
        raise BadRequest("Choose someone named on the case who has not declared a conflict.")
    case.assigned_to, case.team = assignee.id, assignee.team
    desk.log("case.assign", "case", case.id)
    desk.session.commit()
    return case


def move(desk: Desk, case_id: str, new_status: str) -> Case:
    case = case_to_work_on(desk.session, desk.user, case_id)
    if new_status not in MOVES.get(case.status, ()):
        raise BadRequest(f"A case that is {case.status} cannot become {new_status}.")
    case.status = new_status
    desk.log(f"case.status.{new_status}", "case", case.id)
    desk.session.commit()
    return case


def advance(case: Case, to: str) -> None:
    """Move forward by itself (first contact, a DASH), never backward and never from closed."""
    if case.status != "closed" and STATUSES.index(to) > STATUSES.index(case.status):
        case.status = to


def reveal_contact(desk: Desk, case_id: str, reason: str, detail: str) -> dict[str, Any]:
    """The safe contact details, shown only on demand, with the reason recorded and audited."""
    case = case_to_work_on(desk.session, desk.user, case_id)
    if reason not in REVEAL_REASONS:
        raise BadRequest(f"Say why you need the contact details: {', '.join(REVEAL_REASONS)}.")
    body = {"text": detail, "reason": reason}
    write_entry(desk, case, "contact_revealed", body, outcome=reason)
    contact = open_contact(desk.session, desk.keyring, case)
    desk.log("case.contact_revealed", "case", case.id)
    desk.session.commit()
    return contact


def team_members(desk: Desk) -> list[StaffUser]:
    if desk.user.role != "manager":
        raise NotAllowed()
    return list(
        desk.session.scalars(
            select(StaffUser)
            .where(StaffUser.team == desk.user.team, StaffUser.active.is_(True))
            .where(StaffUser.role.in_(("caseworker", "manager")))
            .order_by(StaffUser.email)
        )
    )
