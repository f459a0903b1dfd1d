"""Who may see and change which case: checked on the server for every case id (SECURITY.md 9).

- caseworker: the cases assigned to them, and unassigned cases still in triage (status "new");
- manager (Head of DA Support): every case of their team, and unassigned cases;
- admin: accounts and the audit log, never case content.

A case someone may not see is reported exactly like one that does not exist (404), so ids cannot
be probed. Actions a role may never take (a caseworker signing off a disclosure) are 403.
"""

from __future__ import annotations

from fastapi import HTTPException, status
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from api.cases.models import Case
from api.staff.models import StaffUser

CASE_ROLES = ("caseworker", "manager")


class CaseNotFound(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=status.HTTP_404_NOT_FOUND, detail="No such case.")


class NotAllowed(HTTPException):
    def __init__(self, detail: str = "Your role cannot do this.") -> None:
        super().__init__(status_code=status.HTTP_403_FORBIDDEN, detail=detail)


def visible_cases(user: StaffUser) -> Select[tuple[Case]]:
    """The cases `user` may open, as a query to filter and order further."""
    query = select(Case)
    if user.role == "caseworker":
        return query.where(
            or_(
                Case.assigned_to == user.id,
                and_(Case.assigned_to.is_(None), Case.status == "new"),
            )
        )
    if user.role == "manager":
        return query.where(or_(Case.team == user.team, Case.assigned_to.is_(None)))
    return query.where(Case.id.is_(None))  # admin: nothing


def may_see(user: StaffUser, case: Case) -> bool:
    if user.role == "caseworker":
        return case.assigned_to == user.id or (case.assigned_to is None and case.status == "new")
    if user.role == "manager":
        return case.team == user.team or case.assigned_to is None
    return False


def may_work_on(user: StaffUser, case: Case) -> bool:
    """Record on the case: its caseworker, or a manager of its team."""
    if user.role == "caseworker":
        return case.assigned_to == user.id
    if user.role == "manager":
        return case.team == user.team or case.assigned_to is None
    return False


def case_for(session: Session, user: StaffUser, case_id: str) -> Case:
    """The case if `user` may see it; otherwise 404, as if it did not exist."""
    case = session.get(Case, case_id) if len(case_id) <= 36 else None
    if case is None or not may_see(user, case):
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
