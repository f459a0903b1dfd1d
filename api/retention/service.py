"""Deleting what Quiet Door no longer needs to keep (SECURITY.md 4).

- A case closed more than `retention_closed_case_days` ago (6 years by default) is deleted with
  everything recorded on it: entries, links (both ways), DASH, sharing records, repair orders,
  reviews, follow-up messages, its alert and the alert's outbox rows; then its data key, so
  anything ever sealed with it (a backup, a WAL page) can never be opened again.
- A follow-up code past `follow_up_expires_at` loses its hash: the code no longer finds the case.
- The web chat's report counts of earlier days (keyed address hashes: api/cases/report_cap.py).

Each deletion writes an audit event (actor None, the case id; never a reference or content) in
the same transaction, and work is committed in batches so a long purge never holds the database.
Open cases are never touched, however old.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.orm import Session

from api.alerts.models import Alert, OutboxMessage
from api.audit.service import Auditor, lock_chain
from api.cases.models import Case
from api.cases.report_cap import forget_earlier_days
from api.casework.models import (
    CaseEntry,
    CaseLink,
    CaseRestriction,
    CaseReview,
    ConflictDeclaration,
    DashAssessment,
    FollowUpMessage,
    RepairOrder,
    RestrictedTo,
    SharingRecord,
)
from api.crypto.models import DataKey
from api.settings import Settings

BATCH_SIZE = 100
CASE_DELETED = "retention.case_deleted"
CODE_EXPIRED = "retention.code_expired"

#: Everything that names a case by `case_id` (CaseLink also by `related_case_id`, done apart).
_CASE_DEPENDANTS = (
    CaseEntry,
    DashAssessment,
    SharingRecord,
    RepairOrder,
    CaseReview,
    FollowUpMessage,
    RestrictedTo,  # before the restriction it names
    CaseRestriction,
    ConflictDeclaration,
)


@dataclass(frozen=True)
class RetentionResult:
    """Counts only: what retention deleted is, by design, not named anywhere."""

    cases_deleted: int
    codes_expired: int


def purge(
    session: Session,
    now: dt.datetime,
    settings: Settings,
    *,
    auditor: Auditor | None = None,
    batch_size: int = BATCH_SIZE,
) -> RetentionResult:
    """Delete closed cases past retention, then expire follow-up codes; commits each batch.

    `now` is passed in so tests can freeze the clock. The auditor defaults to one built from
    the settings' hash key (KeyConfigError if it is missing: nothing is deleted unaudited).
    """
    if now.tzinfo is None:
        raise ValueError("naive datetimes are refused: pass an aware datetime")
    auditor = auditor or Auditor.from_settings(settings)
    case_cutoff = now - dt.timedelta(days=settings.retention_closed_case_days)
    cases_deleted = _in_batches(
        session, partial(_delete_closed_cases, session, auditor, now, case_cutoff), batch_size
    )
    # A code issued before expiry dates were stored has none: it lasts as long from the case.
    legacy_cutoff = now - dt.timedelta(days=settings.follow_up_code_days)
    codes_expired = _in_batches(
        session, partial(_expire_codes, session, auditor, now, legacy_cutoff), batch_size
    )
    forget_earlier_days(session, now)
    session.commit()
    if cases_deleted:
        _checkpoint(session)
    return RetentionResult(cases_deleted=cases_deleted, codes_expired=codes_expired)


def _in_batches(session: Session, step: Callable[[int], int], batch_size: int) -> int:
    """Run `step(batch_size)` (one transaction's worth) and commit, until a batch is short."""
    total = 0
    while True:
        try:
            done = step(batch_size)
            session.commit()
        except Exception:
            session.rollback()
            raise
        total += done
        if done < batch_size:
            return total


def _delete_closed_cases(
    session: Session, auditor: Auditor, now: dt.datetime, cutoff: dt.datetime, limit: int
) -> int:
    # Taken before choosing the cases: a second purge (another replica) waits here, then finds
    # them gone, so no case is deleted, or audited, twice.
    lock_chain(session)
    rows = session.execute(
        select(Case.id, Case.data_key_id)
        .where(Case.closed_at.is_not(None), Case.closed_at <= cutoff)
        .order_by(Case.closed_at, Case.id)
        .limit(limit)
    ).all()
    if not rows:
        return 0
    case_ids = [row.id for row in rows]
    key_ids = [row.data_key_id for row in rows]
    alert_ids = list(session.scalars(select(Alert.id).where(Alert.case_id.in_(case_ids))))
    # Explicitly, child before parent: the casework tables cascade, but alerts and the outbox
    # do not, and a database without enforced foreign keys would leave orphans.
    if alert_ids:
        session.execute(delete(OutboxMessage).where(OutboxMessage.alert_id.in_(alert_ids)))
        session.execute(delete(Alert).where(Alert.id.in_(alert_ids)))
    for model in _CASE_DEPENDANTS:
        session.execute(delete(model).where(model.case_id.in_(case_ids)))
    session.execute(
        delete(CaseLink).where(
            or_(CaseLink.case_id.in_(case_ids), CaseLink.related_case_id.in_(case_ids))
        )
    )
    session.execute(delete(Case).where(Case.id.in_(case_ids)))
    # Crypto-shredding: without its data key nothing sealed for the case can be read again.
    session.execute(delete(DataKey).where(DataKey.id.in_(key_ids)))
    for case_id in case_ids:
        auditor.record(
            session,
            actor_id=None,
            action=CASE_DELETED,
            object_type="case",
            object_id=case_id,
            now=now,
        )
    return len(case_ids)


def _expire_codes(
    session: Session, auditor: Auditor, now: dt.datetime, legacy_cutoff: dt.datetime, limit: int
) -> int:
    lock_chain(session)
    case_ids = list(
        session.scalars(
            select(Case.id)
            .where(
                Case.follow_up_hash.is_not(None),
                or_(
                    Case.follow_up_expires_at <= now,
                    and_(Case.follow_up_expires_at.is_(None), Case.created_at <= legacy_cutoff),
                ),
            )
            .order_by(Case.id)
            .limit(limit)
        )
    )
    if not case_ids:
        return 0
    session.execute(
        update(Case)
        .where(Case.id.in_(case_ids))
        .values(follow_up_hash=None, follow_up_expires_at=None)
    )
    for case_id in case_ids:
        auditor.record(
            session,
            actor_id=None,
            action=CODE_EXPIRED,
            object_type="case",
            object_id=case_id,
            now=now,
        )
    return len(case_ids)


def _checkpoint(session: Session) -> None:
    """SQLite: copy the WAL into the database and empty it, so deleted rows' old page images
    do not linger in the -wal file (secure_delete already zeroes them in the database file).
    Best effort: with a reader still open the WAL is emptied at a later checkpoint instead."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        session.commit()
