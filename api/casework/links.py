"""Cases about the same household, linked by staff. A linked case shows only its reference,
status and urgency: never who reported it, so one reporter is never exposed to another. A
linked case restricted away from the viewer is not shown at all."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select

from api.cases.models import Case
from api.casework.access import admitted_to, case_for, case_to_work_on, may_see
from api.casework.desk import Desk
from api.casework.models import CaseLink
from api.casework.workflow import BadRequest


@dataclass(frozen=True)
class LinkedCase:
    reference: str
    status: str
    urgency: str
    id: str | None  # only when the viewer may open it


def link(desk: Desk, case_id: str, other_reference: str) -> CaseLink:
    case = case_to_work_on(desk.session, desk.user, case_id)
    other = desk.session.scalars(
        select(Case).where(Case.reference == other_reference.strip().upper())
    ).first()
    if other is None or other.id == case.id or not may_see(desk.session, desk.user, other):
        raise BadRequest("No other case with that reference that you can see.")
    row = CaseLink(
        id=str(uuid.uuid4()),
        case_id=case.id,
        related_case_id=other.id,
        created_by=desk.user.id,
        created_at=desk.now,
    )
    desk.session.add(row)
    desk.log("case.link", "case", case.id)
    desk.session.commit()
    return row


def linked(desk: Desk, case_id: str) -> list[LinkedCase]:
    case = case_for(desk.session, desk.user, case_id)
    rows = desk.session.scalars(
        select(CaseLink).where(
            or_(CaseLink.case_id == case.id, CaseLink.related_case_id == case.id)
        )
    ).all()
    result = []
    for row in rows:
        other_id = row.related_case_id if row.case_id == case.id else row.case_id
        other = desk.session.get(Case, other_id)
        if other is not None and admitted_to(desk.session, desk.user, other):  # else unnamed
            shown_id = other.id if may_see(desk.session, desk.user, other) else None
            result.append(LinkedCase(other.reference, other.status, other.urgency, shown_id))
    return result
