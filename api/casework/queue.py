"""The triage queue: the user's open cases, most urgent and soonest due first.

Each row carries what a caseworker with forty cases needs to decide what to do next: the
deadline, whether the alert was acknowledged, who holds it, whether first contact happened (and
was "not safe to talk"), the DASH risk, overdue security repairs, reviews due, messages from
an anonymous reporter that nobody has answered yet, whether the case is restricted to named staff,
and (for a manager only) whether someone declared a conflict of interest on it: that is how
managers are told, with nothing about who or why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case as sql_case
from sqlalchemy import exists, false, func, or_, select
from sqlalchemy.orm import aliased

from api.alerts.models import Alert
from api.cases.models import Case
from api.casework.access import visible_cases
from api.casework.desk import Desk
from api.casework.models import (
    CaseEntry,
    CaseRestriction,
    ConflictDeclaration,
    FollowUpMessage,
    RepairOrder,
)
from api.staff.models import StaffUser

_URGENCY_RANK = {"emergency": 0, "priority": 1, "standard": 2}


@dataclass(frozen=True)
class QueueRow:
    case_id: str
    alert_id: str | None
    reference: str
    urgency: str
    status: str
    received_at: dt.datetime
    deadline_at: dt.datetime
    acknowledged: bool
    assigned_to: str | None  # e-mail of the holder
    first_contact_at: dt.datetime | None
    last_contact_outcome: str | None
    risk_level: str | None
    overdue_repairs: int
    review_due: bool
    unanswered_messages: int  # from an anonymous reporter since the team last wrote
    restricted: bool  # to named staff (access.py)
    conflict_declared: bool  # by a member of staff; always False in a caseworker's queue
    #: Why to check the report before acting on it: no alert was sent (api/cases/report_cap.py).
    review_reason: str | None


def queue(desk: Desk) -> list[QueueRow]:
    """Open cases the user may see; reading the queue opens no sealed data."""
    cases = visible_cases(desk.user).where(Case.status != "closed").subquery()
    overdue = (
        select(func.count())
        .where(
            RepairOrder.case_id == cases.c.id,
            RepairOrder.completed_at.is_(None),
            RepairOrder.due_at <= desk.now,
        )
        .scalar_subquery()
    )
    last_outcome = (
        select(CaseEntry.outcome)
        .where(CaseEntry.case_id == cases.c.id, CaseEntry.kind == "contact")
        .order_by(CaseEntry.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    team_message = aliased(FollowUpMessage)
    last_team_message = (
        select(func.max(team_message.created_at))
        .where(team_message.case_id == cases.c.id, team_message.from_reporter.is_(False))
        .correlate(cases)
        .scalar_subquery()
    )
    unanswered = (
        select(func.count())
        .where(
            FollowUpMessage.case_id == cases.c.id,
            FollowUpMessage.from_reporter.is_(True),
            or_(last_team_message.is_(None), FollowUpMessage.created_at > last_team_message),
        )
        .scalar_subquery()
    )
    restricted = exists().where(CaseRestriction.case_id == cases.c.id)
    conflict = (
        exists().where(ConflictDeclaration.case_id == cases.c.id)
        if desk.user.role == "manager"
        else false()
    )
    rank = sql_case(_URGENCY_RANK, value=cases.c.urgency, else_=3)
    rows = desk.session.execute(
        select(
            cases,
            Alert.id.label("alert_id"),
            Alert.acknowledged_at.label("acknowledged_at"),
            StaffUser.email.label("holder"),
            overdue.label("overdue_repairs"),
            last_outcome.label("last_outcome"),
            unanswered.label("unanswered_messages"),
            restricted.label("restricted"),
            conflict.label("conflict_declared"),
        )
        .outerjoin(Alert, Alert.case_id == cases.c.id)
        .outerjoin(StaffUser, StaffUser.id == cases.c.assigned_to)
        .order_by(rank, cases.c.deadline_at)
    ).all()
    return [
        QueueRow(
            case_id=row.id,
            alert_id=row.alert_id,
            reference=row.reference,
            urgency=row.urgency,
            status=row.status,
            received_at=row.created_at,
            deadline_at=row.deadline_at,
            acknowledged=row.acknowledged_at is not None,
            assigned_to=row.holder,
            first_contact_at=row.first_contact_at,
            last_contact_outcome=row.last_outcome,
            risk_level=row.risk_level,
            overdue_repairs=row.overdue_repairs or 0,
            review_due=row.review_due_at is not None and row.review_due_at <= desk.now,
            unanswered_messages=row.unanswered_messages or 0,
            restricted=bool(row.restricted),
            conflict_declared=bool(row.conflict_declared),
            review_reason=row.review_reason,
        )
        for row in rows
    ]
