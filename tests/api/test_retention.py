"""Retention (SECURITY.md 4), with a frozen clock: closed cases go after the configured period
with everything recorded on them and their data key; follow-up codes stop working after theirs.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import event, func, or_, select, text
from sqlalchemy.orm import Session

from api.alerts.models import Alert, OutboxMessage
from api.audit.models import AuditEvent
from api.audit.verify import verify
from api.cases.models import Case
from api.cases.schemas import CaseIn
from api.cases.service import CaseKeys, create_case, find_by_follow_up_code
from api.casework.models import (
    CaseEntry,
    CaseLink,
    CaseReview,
    DashAssessment,
    FollowUpMessage,
    RepairOrder,
    SharingRecord,
)
from api.crypto.envelope import new_data_key
from api.crypto.keys import hash_key_from, keyring_from
from api.crypto.models import DataKey
from api.db import dispose_engines, make_engine, session_factory, utcnow
from api.deadlines import WorkingCalendar
from api.org.profile import profile_for
from api.retention.service import CASE_DELETED, CODE_EXPIRED, RetentionResult, purge
from api.retention.worker import RetentionWorker
from api.settings import REPO_ROOT, Settings
from api.staff.models import StaffUser

NOW = dt.datetime(2031, 3, 4, 10, 0, tzinfo=dt.UTC)  # the frozen clock
DAY = dt.timedelta(days=1)
DEPENDANTS = (CaseEntry, DashAssessment, SharingRecord, RepairOrder, CaseReview, FollowUpMessage)


def keys_for(settings: Settings) -> CaseKeys:
    return CaseKeys(keyring=keyring_from(settings), hash_key=hash_key_from(settings))


def new_case(
    db: Session,
    settings: Settings,
    *,
    created: dt.datetime,
    closed: dt.datetime | None = None,
    contact_method: str | None = "text",
    idempotency_key: str | None = None,
    follow_up_code_days: int | None = None,
) -> tuple[Case, str | None]:
    """A case through the real service (sealed report, alert, outbox row), closed if asked."""
    extra = {} if follow_up_code_days is None else {"follow_up_code_days": follow_up_code_days}
    result = create_case(
        db,
        CaseIn(
            idempotency_key=idempotency_key or os.urandom(8).hex(),
            channel="web",
            reporter_type="self",
            what_happening="CANARY-retention-disclosure",
            contact_method=contact_method,  # type: ignore[arg-type]
        ),
        keys=keys_for(settings),
        calendar=WorkingCalendar.from_profile(profile_for(settings)),
        alert_recipients=["duty@example.org"],
        now=created,
        **extra,  # type: ignore[arg-type]
    )
    case = result.case
    if closed is not None:
        case.status, case.closed_at, case.closure_reason = "closed", closed, "survivor_satisfied"
        db.commit()
    return case, result.follow_up_code


def staff_member(db: Session, settings: Settings) -> StaffUser:
    key_row, _ = new_data_key(keyring_from(settings))
    db.add(key_row)
    user = StaffUser(
        id=str(uuid.uuid4()),
        email=f"{uuid.uuid4().hex}@example.org",
        password_hash="not-a-real-hash",
        role="caseworker",
        active=True,
        data_key_id=key_row.id,
        sealed_totp=b"sealed",
        created_at=NOW - 3000 * DAY,
    )
    db.add(user)
    db.commit()
    return user


def record_everything_on(db: Session, case: Case, staff: StaffUser) -> None:
    """One row of every casework table (sealed columns hold stand-in bytes)."""
    at = case.created_at + DAY

    def row_id() -> str:
        return str(uuid.uuid4())

    db.add_all(
        [
            CaseEntry(
                id=row_id(),
                case_id=case.id,
                author_id=staff.id,
                kind="note",
                created_at=at,
                sealed_body=b"sealed",
            ),
            DashAssessment(
                id=row_id(),
                case_id=case.id,
                assessor_id=staff.id,
                created_at=at,
                yes_count=3,
                risk_level="standard",
                marac_criteria="[]",
                sealed_answers=b"sealed",
            ),
            SharingRecord(
                id=row_id(),
                case_id=case.id,
                recipient="Refuge",
                lawful_basis="consent",
                with_consent=True,
                decided_by=staff.id,
                created_at=at,
                sealed_detail=b"sealed",
            ),
            RepairOrder(
                id=row_id(),
                case_id=case.id,
                ordered_by=staff.id,
                ordered_at=at,
                due_at=at + DAY,
                contractor_reference="JOB-1",
                charged_to_survivor=False,
                sealed_work=b"sealed",
            ),
            CaseReview(
                id=row_id(),
                case_id=case.id,
                reviewer_id=staff.id,
                reviewed_at=at,
                outcome="close",
                sealed_notes=b"sealed",
            ),
            FollowUpMessage(
                id=row_id(),
                case_id=case.id,
                from_reporter=True,
                created_at=at,
                sealed_text=b"sealed",
            ),
        ]
    )
    db.commit()


def link(db: Session, a: Case, b: Case, staff: StaffUser) -> None:
    db.add(
        CaseLink(
            id=str(uuid.uuid4()),
            case_id=a.id,
            related_case_id=b.id,
            created_by=staff.id,
            created_at=NOW - 2500 * DAY,
        )
    )
    db.commit()


def rows_about(settings: Settings, case_id: str, data_key_id: str) -> dict[str, int]:
    """How many rows anywhere still name the case (or hold its data key)."""
    with session_factory(settings)() as session:

        def count(model: type, *where: object) -> int:
            query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
            return session.scalar(query) or 0

        alert_ids = select(Alert.id).where(Alert.case_id == case_id)
        counts = {m.__tablename__: count(m, m.case_id == case_id) for m in DEPENDANTS}
        counts["case_links"] = count(
            CaseLink, or_(CaseLink.case_id == case_id, CaseLink.related_case_id == case_id)
        )
        counts["alerts"] = count(Alert, Alert.case_id == case_id)
        counts["outbox"] = count(OutboxMessage, OutboxMessage.alert_id.in_(alert_ids))
        counts["cases"] = count(Case, Case.id == case_id)
        counts["data_keys"] = count(DataKey, DataKey.id == data_key_id)
        return counts


def audit_events(settings: Settings, action: str) -> list[AuditEvent]:
    with session_factory(settings)() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_closed_cases_go_after_the_period_with_everything_on_them(
    db: Session, migrated: Settings
) -> None:
    staff = staff_member(db, migrated)
    days = migrated.retention_closed_case_days
    assert days == 2190  # six years, the default
    gone, _ = new_case(db, migrated, created=NOW - 2300 * DAY, closed=NOW - (days + 1) * DAY)
    edge, _ = new_case(db, migrated, created=NOW - 2300 * DAY, closed=NOW - days * DAY)
    kept, _ = new_case(db, migrated, created=NOW - 2300 * DAY, closed=NOW - (days - 1) * DAY)
    still_open, _ = new_case(db, migrated, created=NOW - 4000 * DAY)
    for case in (gone, edge, kept, still_open):
        record_everything_on(db, case, staff)
    link(db, gone, still_open, staff)
    link(db, still_open, gone, staff)
    link(db, kept, still_open, staff)
    ids = {c.id: c.data_key_id for c in (gone, edge, kept, still_open)}

    result = purge(db, NOW, migrated)

    assert result == RetentionResult(cases_deleted=2, codes_expired=0)
    for case in (gone, edge):
        assert set(rows_about(migrated, case.id, ids[case.id]).values()) == {0}
    for case in (kept, still_open):  # one of everything each, and the link between them
        assert set(rows_about(migrated, case.id, ids[case.id]).values()) == {1}
    events = audit_events(migrated, CASE_DELETED)
    assert sorted(e.object_id for e in events) == sorted([gone.id, edge.id])
    assert all(e.actor_id is None and e.object_type == "case" and e.at == NOW for e in events)
    with session_factory(migrated)() as session:
        assert verify(session, hash_key_from(migrated)).ok
    assert purge(db, NOW, migrated) == RetentionResult(0, 0)  # nothing twice
    assert len(audit_events(migrated, CASE_DELETED)) == 2


@pytest.mark.sqlite_only  # it reads the SQLite files' raw bytes
def test_a_deleted_case_leaves_no_trace_in_the_database_files(
    db: Session, migrated: Settings
) -> None:
    gone, _ = new_case(db, migrated, created=NOW - 2300 * DAY, closed=NOW - 2200 * DAY)
    kept, _ = new_case(db, migrated, created=NOW - 10 * DAY)
    gone_reference, kept_reference = gone.reference.encode(), kept.reference.encode()
    purge(db, NOW, migrated)
    db.close()
    dispose_engines()
    raw = b"".join(p.read_bytes() for p in Path(migrated.var_dir).iterdir() if p.is_file())
    assert kept_reference in raw  # the check can see a reference when there is one
    assert gone_reference not in raw
    assert b"duty@example.org" in raw  # the kept case's outbox row


@pytest.mark.sqlite_only  # PostgreSQL always enforces foreign keys
def test_deletion_does_not_lean_on_cascades(db: Session, migrated: Settings) -> None:
    """Deletes every dependant itself, so a database without enforced foreign keys (or with
    cascades lost in a migration) keeps no orphans either."""
    staff = staff_member(db, migrated)
    gone, _ = new_case(db, migrated, created=NOW - 2300 * DAY, closed=NOW - 2200 * DAY)
    record_everything_on(db, gone, staff)
    link(db, gone, gone, staff)
    engine = make_engine(migrated.resolved_database_url)
    event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=OFF"))
    try:
        with Session(engine) as unenforced:
            assert unenforced.execute(text("PRAGMA foreign_keys")).scalar() == 0
            assert purge(unenforced, NOW, migrated).cases_deleted == 1
    finally:
        engine.dispose()
    assert set(rows_about(migrated, gone.id, gone.data_key_id).values()) == {0}


def test_purging_in_small_batches_reaches_every_case(db: Session, migrated: Settings) -> None:
    for _ in range(5):
        new_case(db, migrated, created=NOW - 2300 * DAY, closed=NOW - 2200 * DAY)
    assert purge(db, NOW, migrated, batch_size=2).cases_deleted == 5
    assert db.scalar(select(func.count()).select_from(Case)) == 0


def test_a_follow_up_code_works_for_its_period_then_stops(db: Session, migrated: Settings) -> None:
    days = migrated.follow_up_code_days
    assert days == 90
    young, young_code = new_case(db, migrated, created=NOW - 89 * DAY, contact_method=None)
    old, old_code = new_case(db, migrated, created=NOW - 91 * DAY, contact_method="none")
    named, _ = new_case(db, migrated, created=NOW - 400 * DAY, contact_method="phone")
    assert young_code and old_code
    assert young.follow_up_expires_at == young.created_at + days * DAY
    assert named.follow_up_expires_at is None and named.follow_up_hash is None
    key = hash_key_from(migrated)

    assert purge(db, NOW, migrated) == RetentionResult(cases_deleted=0, codes_expired=1)

    with session_factory(migrated)() as session:
        found = find_by_follow_up_code(session, key, young_code)
        assert found is not None and found.id == young.id
        assert find_by_follow_up_code(session, key, old_code) is None
        expired = session.get(Case, old.id)
        assert expired is not None  # the case stays; only the way back in is gone
        assert (expired.follow_up_hash, expired.follow_up_expires_at) == (None, None)
    events = audit_events(migrated, CODE_EXPIRED)
    assert [(e.object_type, e.object_id, e.actor_id) for e in events] == [("case", old.id, None)]


def test_a_retried_report_gets_a_fresh_period(db: Session, migrated: Settings) -> None:
    first_at, retry_at = NOW - 100 * DAY, NOW - 80 * DAY
    case, lost = new_case(
        db, migrated, created=first_at, contact_method=None, idempotency_key="conversation-7"
    )
    _, fresh = new_case(
        db, migrated, created=retry_at, contact_method=None, idempotency_key="conversation-7"
    )
    assert lost and fresh and lost != fresh
    db.refresh(case)
    assert case.follow_up_expires_at == retry_at + 90 * DAY
    assert purge(db, NOW, migrated).codes_expired == 0
    assert find_by_follow_up_code(db, hash_key_from(migrated), fresh) is not None


def test_the_code_period_is_configurable(db: Session, migrated: Settings) -> None:
    short = migrated.model_copy(update={"follow_up_code_days": 30})
    case, code = new_case(
        db, short, created=NOW - 31 * DAY, contact_method=None, follow_up_code_days=30
    )
    assert case.follow_up_expires_at == NOW - DAY
    assert purge(db, NOW, short).codes_expired == 1
    assert code and find_by_follow_up_code(db, hash_key_from(short), code) is None


def test_a_code_without_an_expiry_date_lasts_from_the_case(db: Session, migrated: Settings) -> None:
    """Codes issued before expiry dates were stored."""
    old, _ = new_case(db, migrated, created=NOW - 91 * DAY, contact_method=None)
    young, _ = new_case(db, migrated, created=NOW - 89 * DAY, contact_method=None)
    for case in (old, young):
        case.follow_up_expires_at = None
    db.commit()
    assert purge(db, NOW, migrated).codes_expired == 1
    db.expire_all()
    assert (old.follow_up_hash, young.follow_up_hash is not None) == (None, True)


def test_retention_periods_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QD_RETENTION_CLOSED_CASE_DAYS", "365")
    monkeypatch.setenv("QD_FOLLOW_UP_CODE_DAYS", "30")
    monkeypatch.setenv("QD_RETENTION_POLL_HOURS", "0.5")
    settings = Settings()
    assert (settings.retention_closed_case_days, settings.follow_up_code_days) == (365, 30)
    assert settings.retention_poll_hours == 0.5


async def test_the_worker_purges_on_its_first_pass(db: Session, migrated: Settings) -> None:
    gone, _ = new_case(db, migrated, created=utcnow() - 2300 * DAY, closed=utcnow() - 2200 * DAY)
    await RetentionWorker(migrated).run_once()
    assert rows_about(migrated, gone.id, gone.data_key_id)["cases"] == 0


def test_cli_prints_counts_only(db: Session, migrated: Settings) -> None:
    gone, _ = new_case(db, migrated, created=utcnow() - 2300 * DAY, closed=utcnow() - 2200 * DAY)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QD_")}
    env.update(
        QD_VAR_DIR=str(migrated.var_dir),
        QD_DATABASE_URL=migrated.resolved_database_url,
        QD_HASH_KEY=migrated.hash_key.get_secret_value(),
        QD_MASTER_KEYS=migrated.master_keys.get_secret_value(),
        PYTHONPATH=str(REPO_ROOT),
    )
    dispose_engines()
    result = subprocess.run(
        [sys.executable, "-m", "api.retention"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "retention: 1 closed cases deleted, 0 follow-up codes expired\n"
    assert gone.reference not in result.stdout and gone.id not in result.stdout
    assert rows_about(migrated, gone.id, gone.data_key_id)["cases"] == 0
