"""Who may see and change which case: checked on the server for every case id (SECURITY.md 9).

- caseworker: the cases assigned to them, and unassigned cases still in triage (status "new");
- manager (Head of DA Support): every case of their team, and unassigned cases;
- admin: accounts and the audit log, never case content.

On top of the role, a restricted case (`restriction.py`) is seen only by the staff named on it
(the restricting manager always is), and nobody ever sees a case they declared a conflict of
interest on. So that a restricted case is never lost, if no active manager is named any more
(one left, or declared a conflict), every manager sees it as they would an unrestricted case.
Both rules live in `visible_cases`, which every check below uses, so every route, page, list
and link inherits them.

New cases are visible to every caseworker before triage, on purpose: the team shares one queue
so that whoever is free answers within the deadline, and an emergency never waits for one
manager. A manager restricts a case from its page as soon as it is read as being about a
colleague; until then, every opening of it is in the audit log.

A case someone may not see is reported exactly like one that does not exist (404), so ids cannot
be probed. Actions a role may never take (a caseworker signing off a disclosure) are 403.
"""

from __future__ import annotations

from fastapi import HTTPException, status
from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy.orm import Session, aliased

from api.cases.models import Case
from api.casework.models import CaseRestriction, ConflictDeclaration, RestrictedTo
from api.staff.models import StaffUser

CASE_ROLES = ("caseworker", "manager")


class CaseNotFound(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=status.HTTP_404_NOT_FOUND, detail="No such case.")


class NotAllowed(HTTPException):
    def __init__(self, detail: str = "Your role cannot do this.") -> None:
        super().__init__(status_code=status.HTTP_403_FORBIDDEN, detail=detail)


def _by_role(user: StaffUser) -> ColumnElement[bool]:
    if user.role == "caseworker":
        return or_(
            Case.assigned_to == user.id,
            and_(Case.assigned_to.is_(None), Case.status == "new"),
        )
    if user.role == "manager":
        return or_(Case.team == user.team, Case.assigned_to.is_(None))
    return false()  # admin: nothing


def restriction_admits(user: StaffUser) -> ColumnElement[bool]:
    """SQL, true for a case no restriction or declared conflict closes to `user`."""
    restricted = exists().where(CaseRestriction.case_id == Case.id)
    named = exists().where(RestrictedTo.case_id == Case.id, RestrictedTo.staff_id == user.id)
    conflicted = exists().where(
        ConflictDeclaration.case_id == Case.id, ConflictDeclaration.staff_id == user.id
    )
    admitted = or_(~restricted, named)
    if user.role == "manager":
        named_staff = aliased(StaffUser)  # never correlated with a caller's own join
        manager_named = exists().where(
            RestrictedTo.case_id == Case.id,
            RestrictedTo.staff_id == named_staff.id,
            named_staff.role == "manager",
            named_staff.active.is_(True),
        )
        admitted = or_(admitted, ~manager_named)
    return and_(~conflicted, admitted)


def visible_cases(user: StaffUser) -> Select[tuple[Case]]:
    """The cases `user` may open, as a query to filter and order further."""
    return select(Case).where(_by_role(user), restriction_admits(user))


def may_see(session: Session, user: StaffUser, case: Case) -> bool:
    found = session.scalar(select(visible_cases(user).where(Case.id == case.id).exists()))
    return bool(found)


def admitted_to(session: Session, user: StaffUser, case: Case) -> bool:
    """Whether restrictions and declared conflicts leave `case` open to `user` (whatever their
    role or assignment): who a restricted case may be given to, which linked cases to name."""
    found = session.scalar(select(exists().where(Case.id == case.id, restriction_admits(user))))
    return bool(found)


def may_work_on(user: StaffUser, case: Case) -> bool:
    """Record on the case (one `case_for` found visible): its caseworker, or a team manager."""
    if user.role == "caseworker":
        return case.assigned_to == user.id
    if user.role == "manager":
        return case.team == user.team or case.assigned_to is None
    return False


def case_for(session: Session, user: StaffUser, case_id: str) -> Case:
    """The case if `user` may see it; otherwise 404, as if it did not exist."""
    case = session.get(Case, case_id) if len(case_id) <= 36 else None
    if case is None or not may_see(session, user, case):
        raise CaseNotFound()
    return case


def case_to_work_on(session: Session, user: StaffUser, case_id: str) -> Case:
    """The case if `user` may record on it: 404 if they cannot see it, 403 if only see it."""
    case = case_for(session, user, case_id)
    if not may_work_on(user, case):
        raise NotAllowed("Take or be assigned the case first.")
    return case


def require_role(user: StaffUser, *roles: str) -> None:
    if user.role not in roles:
        raise NotAllowed()
