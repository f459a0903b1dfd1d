"""DASH RIC assessments on a case: scored by the organisation's banding, MARAC criteria checked.

The answers and comments are sealed (they are what the person disclosed); the yes count, the risk
level and the criteria met are plain, for the queue and the Board report. The latest assessment
sets the case's risk level and moves it to "risk assessed".
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from api.casework.access import case_for, case_to_work_on
from api.casework.desk import Desk
from api.casework.models import DashAssessment
from api.casework.workflow import BadRequest, advance
from api.dash.marac import marac_criteria
from api.dash.questions import Answer
from api.dash.scoring import risk_level, score
from api.org.profile import DashBanding

_TABLE = DashAssessment.__tablename__


@dataclass(frozen=True)
class Assessment:
    id: str
    created_at: dt.datetime
    assessor_id: str
    yes_count: int
    risk_level: str
    criteria: list[str]
    answers: dict[str, dict[str, str]]  # code -> {"value", "comment"}
    professional_judgement: bool
    incidents_last_12_months: int


def record(
    desk: Desk,
    case_id: str,
    *,
    answers: dict[str, Answer],
    professional_judgement: bool,
    incidents_last_12_months: int,
    banding: DashBanding,
) -> Assessment:
    case = case_to_work_on(desk.session, desk.user, case_id)
    try:
        result = score(answers)
        level = risk_level(result.yes_count, banding, professional_judgement=professional_judgement)
        criteria = marac_criteria(
            yes_count=result.yes_count,
            banding=banding,
            professional_judgement=professional_judgement,
            incidents_last_12_months=incidents_last_12_months,
            last_marac_at=case.marac_referred_at,
            now=desk.now,
        )
    except ValueError as error:
        raise BadRequest(str(error)) from None
    assessment_id = str(uuid.uuid4())
    sealed = {
        "answers": {c: {"value": a.value, "comment": a.comment} for c, a in answers.items()},
        "professional_judgement": professional_judgement,
        "incidents_last_12_months": incidents_last_12_months,
    }
    desk.session.add(
        DashAssessment(
            id=assessment_id,
            case_id=case.id,
            assessor_id=desk.user.id,
            created_at=desk.now,
            yes_count=result.yes_count,
            risk_level=level,
            marac_criteria=json.dumps(list(criteria)),
            sealed_answers=desk.seal(case, _TABLE, "sealed_answers", assessment_id, sealed),
        )
    )
    case.risk_level = level
    advance(case, "risk_assessed")
    desk.log("dash.create", "case", case.id)
    desk.session.commit()
    return Assessment(
        assessment_id,
        desk.now,
        desk.user.id,
        result.yes_count,
        level,
        list(criteria),
        sealed["answers"],
        professional_judgement,
        incidents_last_12_months,
    )


def latest(desk: Desk, case_id: str) -> Assessment | None:
    case = case_for(desk.session, desk.user, case_id)
    row = desk.session.scalars(
        select(DashAssessment)
        .where(DashAssessment.case_id == case.id)
        .order_by(DashAssessment.created_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    sealed = desk.open(case, _TABLE, "sealed_answers", row.id, row.sealed_answers)
    return Assessment(
        row.id,
        row.created_at,
        row.assessor_id,
        row.yes_count,
        row.risk_level,
        json.loads(row.marac_criteria),
        sealed["answers"],
        sealed["professional_judgement"],
        sealed["incidents_last_12_months"],
    )
