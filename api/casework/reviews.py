"""Manager case reviews: an outcome, the facts behind it (sealed), and when to look again."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from api.casework.access import case_for, require_role
from api.casework.desk import Desk
from api.casework.models import REVIEW_OUTCOMES, CaseReview
from api.casework.workflow import BadRequest

_TABLE = CaseReview.__tablename__


def review(
    desk: Desk,
    case_id: str,
    *,
    outcome: str,
    notes: str,
    next_review_at: dt.datetime | None = None,
) -> CaseReview:
    require_role(desk.user, "manager")
    case = case_for(desk.session, desk.user, case_id)
    if outcome not in REVIEW_OUTCOMES:
        raise BadRequest(f"outcome must be one of {', '.join(REVIEW_OUTCOMES)}.")
    if next_review_at is not None and next_review_at <= desk.now:
        raise BadRequest("The next review must be in the future.")
    review_id = str(uuid.uuid4())
    row = CaseReview(
        id=review_id,
        case_id=case.id,
        reviewer_id=desk.user.id,
        reviewed_at=desk.now,
        outcome=outcome,
        next_review_at=next_review_at,
        sealed_notes=desk.seal(case, _TABLE, "sealed_notes", review_id, notes),
    )
    case.review_due_at = next_review_at
    desk.session.add(row)
    desk.log("case.review", "case", case.id)
    desk.session.commit()
    return row


def listed(desk: Desk, case_id: str) -> list[tuple[CaseReview, str]]:
    case = case_for(desk.session, desk.user, case_id)
    rows = desk.session.scalars(
        select(CaseReview).where(CaseReview.case_id == case.id).order_by(CaseReview.reviewed_at)
    ).all()
    return [(r, desk.open(case, _TABLE, "sealed_notes", r.id, r.sealed_notes)) for r in rows]
