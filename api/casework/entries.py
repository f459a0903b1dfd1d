"""Fact-based records on a case: notes, contact attempts, actions taken and not taken.

An action not taken needs its reason (Wolverhampton 6.0). A contact attempt records method and
outcome; "not safe to talk" is an outcome like any other, and the first attempt that reached the
person moves a new case to "in contact".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from api.casework.access import case_for, case_to_work_on
from api.casework.desk import Desk
from api.casework.models import CONTACT_OUTCOMES, CaseEntry
from api.casework.records import write_entry
from api.casework.workflow import BadRequest, advance
from contract.report import REACHABLE_METHODS

#: How a contact attempt was made: any way a report can ask to be reached, or a letter.
CONTACT_METHODS = REACHABLE_METHODS + ("letter",)
WRITABLE_KINDS = ("note", "contact", "action_taken", "action_not_taken")
_TABLE = CaseEntry.__tablename__


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    outcome: str | None
    created_at: dt.datetime
    author_id: str
    body: dict[str, Any]


def add(
    desk: Desk,
    case_id: str,
    *,
    kind: str,
    text: str,
    reason: str | None = None,
    method: str | None = None,
    outcome: str | None = None,
) -> Entry:
    case = case_to_work_on(desk.session, desk.user, case_id)
    if kind not in WRITABLE_KINDS:
        raise BadRequest(f"kind must be one of {', '.join(WRITABLE_KINDS)}.")
    body: dict[str, Any] = {"text": text}
    if kind == "action_not_taken":
        if not (reason and reason.strip()):
            raise BadRequest("Say why the action was not taken.")
        body["reason"] = reason
    if kind == "contact":
        if method not in CONTACT_METHODS or outcome not in CONTACT_OUTCOMES:
            raise BadRequest("A contact needs its method and outcome.")
        body["method"] = method
        if case.first_contact_at is None:
            case.first_contact_at = desk.now
        if outcome == "spoke":
            advance(case, "in_contact")
    kept_outcome = outcome if kind == "contact" else None
    entry_id = write_entry(desk, case, kind, body, outcome=kept_outcome)
    desk.log(f"entry.{kind}", "case", case.id)
    desk.session.commit()
    return Entry(entry_id, kind, outcome, desk.now, desk.user.id, body)


def listed(desk: Desk, case_id: str) -> list[Entry]:
    """Every entry on the case, oldest first (reading them is part of viewing the case)."""
    case = case_for(desk.session, desk.user, case_id)
    rows = desk.session.scalars(
        select(CaseEntry).where(CaseEntry.case_id == case.id).order_by(CaseEntry.created_at)
    ).all()
    return [
        Entry(
            row.id,
            row.kind,
            row.outcome,
            row.created_at,
            row.author_id,
            desk.open(case, _TABLE, "sealed_body", row.id, row.sealed_body),
        )
        for row in rows
    ]
