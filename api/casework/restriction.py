"""Restricted cases: a manager closes a case to all but named staff; anyone declares a conflict.

A disclosure may be about a member of staff, be a colleague's own case, or touch someone a
caseworker knows. A manager who can see the case restricts it to named staff of their team (the
manager is always named, so someone who can act on it always sees it); `access.py` then hides it
from everyone else on every route, list and link, exactly as if it did not exist. Restricting
takes the case from a holder who is not named (it waits, unassigned, for a manager to give it to
someone named). A caseworker or manager who may see a case can declare a conflict of interest:
their access ends at once and for good, a case they held is handed back, and managers see a
"conflict declared" flag in their queue and on the case, with no reason (none is asked for).

Every restriction, change, lifting and declaration writes one audit event (ids only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from api.cases.models import Case
from api.casework.access import case_for, require_role
from api.casework.desk import Desk
from api.casework.models import (
    RESTRICTION_REASONS,
    CaseRestriction,
    ConflictDeclaration,
    RestrictedTo,
)
from api.casework.workflow import BadRequest, team_members
from api.staff.models import StaffUser


@dataclass(frozen=True)
class Restriction:
    """A restricted case's reason and the staff named on it (the case page shows it)."""

    reason: str
    restricted_by: str  # staff id
    restricted_at: dt.datetime
    named: list[StaffUser]


@dataclass(frozen=True)
class CaseAccess:
    """Who may see a case beyond the roles: its restriction, if any, and (for a manager) who
    declared a conflict of interest on it."""

    restriction: Restriction | None
    conflicts: list[StaffUser]


def _declared(desk: Desk, case_id: str) -> list[StaffUser]:
    return list(
        desk.session.scalars(
            select(StaffUser)
            .join(ConflictDeclaration, ConflictDeclaration.staff_id == StaffUser.id)
            .where(ConflictDeclaration.case_id == case_id)
            .order_by(StaffUser.email)
        )
    )


def access_of(desk: Desk, case: Case) -> CaseAccess:
    """For a case `case_for` already let the user see; conflicts are listed to managers only."""
    row = desk.session.get(CaseRestriction, case.id)
    restriction = None
    if row is not None:
        named = desk.session.scalars(
            select(StaffUser)
            .join(RestrictedTo, RestrictedTo.staff_id == StaffUser.id)
            .where(RestrictedTo.case_id == case.id)
            .order_by(StaffUser.email)
        )
        restriction = Restriction(row.reason, row.restricted_by, row.restricted_at, list(named))
    conflicts = _declared(desk, case.id) if desk.user.role == "manager" else []
    return CaseAccess(restriction, conflicts)


def read(desk: Desk, case_id: str) -> CaseAccess:
    return access_of(desk, case_for(desk.session, desk.user, case_id))


def _hand_back(desk: Desk, case: Case) -> None:
    """The holder may no longer see the case: it waits unassigned for a manager."""
    case.assigned_to = None
    desk.log("case.unassign", "case", case.id)


def restrict(desk: Desk, case_id: str, reason: str, staff_ids: list[str]) -> Case:
    """Restrict the case to the manager and `staff_ids` (active staff of their team who have
    not declared a conflict on it), or change who is named on a case already restricted."""
    require_role(desk.user, "manager")
    case = case_for(desk.session, desk.user, case_id)
    if reason not in RESTRICTION_REASONS:
        raise BadRequest("Choose why the case is restricted.")
    eligible = {member.id for member in team_members(desk)}
    eligible -= {member.id for member in _declared(desk, case.id)}
    named = set(staff_ids) | {desk.user.id}
    if not named <= eligible:
        raise BadRequest("Name only active staff of your team who have not declared a conflict.")
    row = desk.session.get(CaseRestriction, case.id)
    if row is None:
        row = CaseRestriction(case_id=case.id)
        desk.session.add(row)
    row.reason, row.restricted_by, row.restricted_at = reason, desk.user.id, desk.now
    try:
        desk.session.flush()
    except IntegrityError:
        # Another manager restricted it first, between our read and this write.
        desk.session.rollback()
        raise BadRequest(
            "Someone restricted this case a moment ago. Open it again to see who is named."
        ) from None
    desk.session.execute(delete(RestrictedTo).where(RestrictedTo.case_id == case.id))
    desk.session.add_all(RestrictedTo(case_id=case.id, staff_id=s) for s in sorted(named))
    desk.log("case.restrict", "case", case.id)
    if case.assigned_to is not None and case.assigned_to not in named:
        _hand_back(desk, case)
    desk.session.commit()
    return case


def lift(desk: Desk, case_id: str) -> Case:
    """Open the case to the roles again (a manager named on it, or any if none is)."""
    require_role(desk.user, "manager")
    case = case_for(desk.session, desk.user, case_id)
    row = desk.session.get(CaseRestriction, case.id)
    if row is None:
        raise BadRequest("This case is not restricted.")
    desk.session.execute(delete(RestrictedTo).where(RestrictedTo.case_id == case.id))
    desk.session.delete(row)
    desk.log("case.unrestrict", "case", case.id)
    desk.session.commit()
    return case


def declare_conflict(desk: Desk, case_id: str) -> None:
    """The user can no longer see the case, from this request on; managers are told."""
    require_role(desk.user, "caseworker", "manager")
    case = case_for(desk.session, desk.user, case_id)
    desk.session.add(
        ConflictDeclaration(case_id=case.id, staff_id=desk.user.id, declared_at=desk.now)
    )
    desk.session.execute(
        delete(RestrictedTo).where(
            RestrictedTo.case_id == case.id, RestrictedTo.staff_id == desk.user.id
        )
    )
    desk.log("case.conflict_declared", "case", case.id)
    if case.assigned_to == desk.user.id:
        _hand_back(desk, case)
    desk.session.commit()
