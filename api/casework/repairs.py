"""Security repairs (Sanctuary): ordered from a case, due within 24 hours, never charged.

The `never_charged` check constraint in the schema makes charging the survivor impossible even
by hand; overdue orders are listed for the triage queue.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from api.casework.access import case_for, case_to_work_on, visible_cases
from api.casework.desk import Desk
from api.casework.models import RepairOrder
from api.casework.workflow import BadRequest

TARGET = dt.timedelta(hours=24)
_TABLE = RepairOrder.__tablename__


def order(desk: Desk, case_id: str, *, work: str, contractor_reference: str) -> RepairOrder:
    case = case_to_work_on(desk.session, desk.user, case_id)
    if not work.strip() or not contractor_reference.strip():
        raise BadRequest("Say what work is needed and the contractor's reference.")
    order_id = str(uuid.uuid4())
    row = RepairOrder(
        id=order_id,
        case_id=case.id,
        ordered_by=desk.user.id,
        ordered_at=desk.now,
        due_at=desk.now + TARGET,
        contractor_reference=contractor_reference.strip()[:60],
        completed_at=None,
        charged_to_survivor=False,
        sealed_work=desk.seal(case, _TABLE, "sealed_work", order_id, work),
    )
    desk.session.add(row)
    desk.log("repair.order", "case", case.id)
    desk.session.commit()
    return row


def complete(desk: Desk, case_id: str, order_id: str) -> RepairOrder:
    case = case_to_work_on(desk.session, desk.user, case_id)
    row = desk.session.get(RepairOrder, order_id) if len(order_id) <= 36 else None
    if row is None or row.case_id != case.id:
        raise BadRequest("No repair with that id on this case.")
    if row.completed_at is None:
        row.completed_at = desk.now
        desk.log("repair.complete", "repair", row.id)
        desk.session.commit()
    return row


def listed(desk: Desk, case_id: str) -> list[tuple[RepairOrder, str]]:
    case = case_for(desk.session, desk.user, case_id)
    rows = desk.session.scalars(
        select(RepairOrder).where(RepairOrder.case_id == case.id).order_by(RepairOrder.ordered_at)
    ).all()
    return [(r, desk.open(case, _TABLE, "sealed_work", r.id, r.sealed_work)) for r in rows]


def overdue(desk: Desk) -> list[tuple[str, RepairOrder]]:
    """(case reference, order) for open orders past their 24 hours, in the user's cases."""
    cases = visible_cases(desk.user).subquery()
    rows = desk.session.execute(
        select(cases.c.reference, RepairOrder)
        .join(RepairOrder, RepairOrder.case_id == cases.c.id)
        .where(RepairOrder.completed_at.is_(None), RepairOrder.due_at <= desk.now)
        .order_by(RepairOrder.due_at)
    ).all()
    return [(reference, order) for reference, order in rows]
