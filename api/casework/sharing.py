"""The information-sharing log: every disclosure to another agency, on a lawful basis.

Consent is the default basis. Sharing without consent (safeguarding, MARAC, a legal duty such as a
police request) needs a recorded reason and a manager's sign-off: a caseworker's record waits for
it; a manager's record is signed off by that manager.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from api.casework.access import case_for, case_to_work_on, require_role
from api.casework.desk import Desk
from api.casework.models import LAWFUL_BASES, SharingRecord
from api.casework.workflow import BadRequest

_TABLE = SharingRecord.__tablename__


def record(
    desk: Desk,
    case_id: str,
    *,
    recipient: str,
    what: str,
    lawful_basis: str,
    with_consent: bool,
    reason: str = "",
) -> SharingRecord:
    case = case_to_work_on(desk.session, desk.user, case_id)
    if lawful_basis not in LAWFUL_BASES:
        raise BadRequest(f"lawful_basis must be one of {', '.join(LAWFUL_BASES)}.")
    if lawful_basis == "consent" and not with_consent:
        raise BadRequest("Consent cannot be the basis when the person has not consented.")
    if not with_consent and not reason.strip():
        raise BadRequest("Sharing without consent needs the reason recorded.")
    if not recipient.strip() or not what.strip():
        raise BadRequest("Say who received the information and what was shared.")
    record_id = str(uuid.uuid4())
    # Without consent a manager must sign off; a manager deciding signs off their own decision.
    self_signed = not with_consent and desk.user.role == "manager"
    row = SharingRecord(
        id=record_id,
        case_id=case.id,
        recipient=recipient.strip()[:120],
        lawful_basis=lawful_basis,
        with_consent=with_consent,
        decided_by=desk.user.id,
        created_at=desk.now,
        signed_off_by=desk.user.id if self_signed else None,
        signed_off_at=desk.now if self_signed else None,
        sealed_detail=desk.seal(
            case, _TABLE, "sealed_detail", record_id, {"what": what, "reason": reason}
        ),
    )
    desk.session.add(row)
    desk.log("sharing.record", "case", case.id)
    desk.session.commit()
    return row


def sign_off(desk: Desk, case_id: str, record_id: str) -> SharingRecord:
    """A manager signs off a disclosure made without consent."""
    require_role(desk.user, "manager")
    case = case_for(desk.session, desk.user, case_id)
    row = desk.session.get(SharingRecord, record_id) if len(record_id) <= 36 else None
    if row is None or row.case_id != case.id or row.with_consent:
        raise BadRequest("No disclosure without consent with that id on this case.")
    if row.signed_off_at is None:
        row.signed_off_by, row.signed_off_at = desk.user.id, desk.now
        desk.log("sharing.sign_off", "sharing", row.id)
        desk.session.commit()
    return row


def listed(desk: Desk, case_id: str) -> list[tuple[SharingRecord, dict]]:
    case = case_for(desk.session, desk.user, case_id)
    rows = desk.session.scalars(
        select(SharingRecord)
        .where(SharingRecord.case_id == case.id)
        .order_by(SharingRecord.created_at)
    ).all()
    return [(r, desk.open(case, _TABLE, "sealed_detail", r.id, r.sealed_detail)) for r in rows]
