"""Creating a case: triage, seal, queue its alert and audit it, all in one transaction.

If anything fails before the commit, neither the case nor its alert exists, and the caller's retry
(with the same idempotency key) starts clean; a retry after a commit gets the same case back.
A web report past the day's cap for its address is stored and marked for review, with no alert
(api/cases/report_cap.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.alerts.service import queue_alert
from api.audit.service import Auditor
from api.cases.codes import follow_up_hash, new_follow_up_code, new_reference
from api.cases.models import Case
from api.cases.report_cap import review_reason
from api.cases.schemas import CONTACT_FIELDS, REPORT_FIELDS, CaseIn
from api.crypto.envelope import new_data_key, open_column, seal_value
from api.crypto.hashing import keyed_hash
from api.crypto.keys import KeyRing
from api.deadlines import WorkingCalendar, one_working_day_after
from api.settings import Settings

IDEMPOTENCY_PURPOSE = "case-idempotency-key"
CREATE_ATTEMPTS = 3
#: How long a follow-up code works (QD_FOLLOW_UP_CODE_DAYS); callers pass the setting.
FOLLOW_UP_CODE_DAYS: int = Settings.model_fields["follow_up_code_days"].default
#: Web reports a day from one address that alert anyone (QD_WEB_CHAT_REPORTS_PER_DAY_PER_ADDRESS).
REPORTS_PER_ADDRESS_PER_DAY: int = Settings.model_fields[
    "web_chat_reports_per_day_per_address"
].default


@dataclass(frozen=True)
class CaseKeys:
    """The keys a case needs: master keys to seal, the hash key for codes and idempotency."""

    keyring: KeyRing
    hash_key: bytes


@dataclass(frozen=True)
class CreatedCase:
    case: Case
    follow_up_code: str | None
    created: bool


def triage_urgency(report: CaseIn) -> str:
    """Emergency if in danger now; priority if children are involved or danger is unknown."""
    if report.immediate_danger == "yes":
        return "emergency"
    if report.children == "yes" or report.immediate_danger == "unknown":
        return "priority"
    return "standard"


def is_anonymous(report: CaseIn) -> bool:
    return report.contact_method in (None, "none")


def create_case(
    session: Session,
    report: CaseIn,
    *,
    keys: CaseKeys,
    calendar: WorkingCalendar,
    alert_recipients: list[str],
    now: dt.datetime,
    follow_up_code_days: int = FOLLOW_UP_CODE_DAYS,
    reports_per_address_per_day: int = REPORTS_PER_ADDRESS_PER_DAY,
) -> CreatedCase:
    """Store a report once per idempotency key, with its alert and outbox messages.

    A follow-up code, when one is issued, works for `follow_up_code_days` (then retention
    deletes its hash). A web report past `reports_per_address_per_day` from its address gets
    no alert and is marked for review instead.
    """
    code_expires_at = now + dt.timedelta(days=follow_up_code_days)
    idempotency_hash = keyed_hash(keys.hash_key, IDEMPOTENCY_PURPOSE, report.idempotency_key)
    for _ in range(CREATE_ATTEMPTS):
        existing = _by_idempotency_hash(session, idempotency_hash)
        if existing is not None:
            return _repeated(session, existing, keys, code_expires_at, now)
        # Counted before the case is added: its statements would flush the case outside the try.
        review = review_reason(session, report.address_key, now, reports_per_address_per_day)
        case, code = _build_case(report, keys, calendar, idempotency_hash, now, session)
        case.follow_up_expires_at = code_expires_at if code else None
        case.review_reason = review
        if review is None:
            queue_alert(session, case, alert_recipients, now)
        try:
            _audit(session, keys, "case.create", case, now)  # flushes: a clash is raised here
            session.commit()
        except IntegrityError:
            # Either the same key arrived twice at once, or (rarely) a reference collided.
            session.rollback()
            continue
        return CreatedCase(case, follow_up_code=code, created=True)
    raise RuntimeError("could not store the case after several attempts")


def _repeated(
    session: Session, case: Case, keys: CaseKeys, code_expires_at: dt.datetime, now: dt.datetime
) -> CreatedCase:
    """A retry means the first answer may never have reached the person, so an anonymous
    reporter gets a fresh follow-up code and the earlier one, perhaps never seen, stops working.
    Audited either way: the answer names the case again.
    """
    if case.follow_up_hash is None:
        _audit(session, keys, "case.create_repeat", case, now)
        session.commit()
        return CreatedCase(case, follow_up_code=None, created=False)
    code = new_follow_up_code()
    case.follow_up_hash = follow_up_hash(keys.hash_key, code)
    case.follow_up_expires_at = code_expires_at
    _audit(session, keys, "case.follow_up_code_reissue", case, now)
    session.commit()
    return CreatedCase(case, follow_up_code=code, created=False)


def _audit(session: Session, keys: CaseKeys, action: str, case: Case, now: dt.datetime) -> None:
    """The one audit event of a call, by the system (the action server files for the reporter)."""
    Auditor(hash_key=keys.hash_key).record(
        session, actor_id=None, action=action, object_type="case", object_id=case.id, now=now
    )


def _by_idempotency_hash(session: Session, idempotency_hash: str) -> Case | None:
    return session.scalars(select(Case).where(Case.idempotency_hash == idempotency_hash)).first()


def _build_case(
    report: CaseIn,
    keys: CaseKeys,
    calendar: WorkingCalendar,
    idempotency_hash: str,
    now: dt.datetime,
    session: Session,
) -> tuple[Case, str | None]:
    case_id = str(uuid.uuid4())
    data_key_row, dek = new_data_key(keys.keyring)
    session.add(data_key_row)
    code = new_follow_up_code() if is_anonymous(report) else None
    urgency = triage_urgency(report)
    fields = report.model_dump()
    case = Case(
        id=case_id,
        reference=new_reference(),
        channel=report.channel,
        reporter_type=report.reporter_type,
        urgency=urgency,
        immediate_danger=report.immediate_danger,
        children=report.children,
        contact_method=report.contact_method,
        status="new",
        created_at=now,
        # One working day for every urgency: the policies' promise, and what the person is told.
        # An emergency is not due sooner on paper; its managers are paged at once instead.
        deadline_at=one_working_day_after(now, calendar),
        idempotency_hash=idempotency_hash,
        follow_up_hash=follow_up_hash(keys.hash_key, code) if code else None,
        data_key_id=data_key_row.id,
        sealed_report=seal_value(
            dek, Case.__tablename__, "sealed_report", case_id, {f: fields[f] for f in REPORT_FIELDS}
        ),
        sealed_contact=seal_value(
            dek,
            Case.__tablename__,
            "sealed_contact",
            case_id,
            {f: fields[f] for f in CONTACT_FIELDS},
        ),
    )
    session.add(case)
    return case, code


def open_report(session: Session, keyring: KeyRing, case: Case) -> dict[str, Any]:
    """The disclosure itself. Callers outside tests must audit the read (a later issue)."""
    return open_column(
        session,
        keyring,
        case.data_key_id,
        Case.__tablename__,
        "sealed_report",
        case.id,
        case.sealed_report,
    )


def open_contact(session: Session, keyring: KeyRing, case: Case) -> dict[str, Any]:
    """How to make contact safely: to be revealed to staff only with an audited reason."""
    return open_column(
        session,
        keyring,
        case.data_key_id,
        Case.__tablename__,
        "sealed_contact",
        case.id,
        case.sealed_contact,
    )


def find_by_follow_up_code(session: Session, hash_key: bytes, code: str) -> Case | None:
    """The anonymous reporter's way back in: looks up by keyed hash only."""
    digest = follow_up_hash(hash_key, code)
    return session.scalars(select(Case).where(Case.follow_up_hash == digest)).first()
