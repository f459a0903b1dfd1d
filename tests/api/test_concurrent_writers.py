"""Concurrent writers, as several gateway replicas or workers are: each thread its own connection.

Runs on SQLite and PostgreSQL (tests/api/conftest.py POSTGRES_MODULES). A barrier releases the
threads together so their transactions overlap. Pins these promises under load:
- the audit chain: appends from many writers never share a `seq` and the chain verifies;
- TOTP single use: of many sign-ins with one code at the same moment, exactly one succeeds;
- a report sent several times at once (one idempotency key) is one case with one alert;
- the web report cap counts every report from an address, even the first ones of a day at once;
- alert e-mail: workers claiming the outbox at once each get different messages, none twice;
- messaging: one delivery arriving at several replicas at once (a retry) is taken once, and
  replicas retrying the inbox at once never take the same message twice.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pyotp
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.alerts.models import Alert, OutboxMessage
from api.alerts.service import DueMessage, claim_due
from api.audit.models import AuditEvent
from api.audit.service import Auditor
from api.audit.verify import verify
from api.cases.models import Case, WebReportCount
from api.cases.schemas import CaseIn
from api.cases.service import CaseKeys, CreatedCase, create_case
from api.crypto.keys import hash_key_from, keyring_from
from api.db import session_factory
from api.deadlines import WorkingCalendar
from api.org.profile import profile_for
from api.settings import Settings
from api.staff.service import LoginOutcome, create_user, login
from channels.messaging import inbox
from channels.messaging.inbox import Delivery, Unread
from channels.messaging.models import InboundMessage

WRITERS = 8
EVENTS_EACH = 6
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
PASSWORD = "correct horse battery staple"
ADDRESS = "a1" * 32
CAP = 3
RECIPIENTS = ["duty@example.org", "manager@example.org"]
LEASE = dt.timedelta(minutes=2)

T = TypeVar("T")


def all_at_once(settings: Settings, count: int, work: Callable[[Session, int], T]) -> list[T]:
    """`work(session, i)` in `count` threads, each with its own session, started together."""
    factory = session_factory(settings)
    start = threading.Barrier(count)

    def run(i: int) -> T:
        with factory() as session:
            start.wait(timeout=30)
            return work(session, i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_concurrent_audit_appends_get_distinct_seqs_and_the_chain_verifies(
    migrated: Settings,
) -> None:
    auditor = Auditor.from_settings(migrated)

    def append(session: Session, writer: int) -> list[int]:
        seqs = []
        for n in range(EVENTS_EACH):
            event = auditor.record(
                session,
                actor_id=None,
                action="case.view",
                object_type="case",
                object_id=str(uuid.UUID(int=writer * 100 + n)),
                now=NOW + dt.timedelta(seconds=n),
            )
            session.commit()
            seqs.append(event.seq)
        return seqs

    seqs = [seq for each in all_at_once(migrated, WRITERS, append) for seq in each]

    total = WRITERS * EVENTS_EACH
    assert sorted(seqs) == list(range(1, total + 1))
    with session_factory(migrated)() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == total
        result = verify(session, hash_key_from(migrated))
    assert (result.ok, result.checked, result.head_seq) == (True, total, total)


def test_one_totp_code_signs_in_exactly_once_under_concurrent_sign_ins(
    migrated: Settings,
) -> None:
    keys = CaseKeys(keyring_from(migrated), hash_key_from(migrated))
    with session_factory(migrated)() as session:
        user, secret = create_user(
            session, keys, email="duty@example.org", role="caseworker", password=PASSWORD, now=NOW
        )
    code = pyotp.TOTP(secret).at(NOW)

    def sign_in(session: Session, attempt: int) -> LoginOutcome:
        return login(
            session,
            keys,
            email=user.email,
            password=PASSWORD,
            code=code,
            address=f"192.0.2.{attempt}",
            now=NOW,
        ).outcome

    outcomes = all_at_once(migrated, WRITERS, sign_in)

    assert outcomes.count(LoginOutcome.OK) == 1
    assert set(outcomes) <= {LoginOutcome.OK, LoginOutcome.FAILED, LoginOutcome.THROTTLED}


def create_all_at_once(settings: Settings, reports: list[CaseIn]) -> list[CreatedCase]:
    """Each report stored by its own thread, all at the same moment."""
    keys = CaseKeys(keyring_from(settings), hash_key_from(settings))
    calendar = WorkingCalendar.from_profile(profile_for(settings))

    def store(session: Session, i: int) -> CreatedCase:
        return create_case(
            session,
            reports[i],
            keys=keys,
            calendar=calendar,
            alert_recipients=RECIPIENTS,
            now=NOW,
            reports_per_address_per_day=CAP,
        )

    return all_at_once(settings, len(reports), store)


def report(key: str) -> CaseIn:
    return CaseIn(idempotency_key=key, channel="web", reporter_type="self", address_key=ADDRESS)


def count(settings: Settings, model: type) -> int:
    with session_factory(settings)() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_one_report_sent_many_times_at_once_is_one_case_with_one_alert(
    migrated: Settings,
) -> None:
    created = create_all_at_once(migrated, [report("same-key")] * WRITERS)

    assert [c.created for c in created].count(True) == 1
    assert {c.case.id for c in created} == {created[0].case.id}
    assert (count(migrated, Case), count(migrated, Alert)) == (1, 1)


def test_the_report_cap_counts_every_report_sent_at_once_from_one_address(
    migrated: Settings,
) -> None:
    created = create_all_at_once(migrated, [report(f"key-{i}") for i in range(WRITERS)])

    reviewed = [c.case.review_reason is not None for c in created]
    assert (reviewed.count(False), reviewed.count(True)) == (CAP, WRITERS - CAP)
    assert (count(migrated, Case), count(migrated, Alert)) == (WRITERS, CAP)
    with session_factory(migrated)() as session:
        assert session.scalars(select(WebReportCount.reports)).all() == [WRITERS]


def test_workers_claiming_the_outbox_at_once_never_share_a_message(migrated: Settings) -> None:
    create_all_at_once(migrated, [report(f"key-{i}") for i in range(CAP)])
    queued = count(migrated, OutboxMessage)
    assert queued >= CAP * len(RECIPIENTS)

    def claim(session: Session, _worker: int) -> list[DueMessage]:
        return claim_due(session, NOW + dt.timedelta(seconds=1), dt.timedelta(minutes=5), limit=4)

    claimed = [m.id for each in all_at_once(migrated, WRITERS, claim) for m in each]
    with session_factory(migrated)() as session:
        rest = [m.id for m in claim(session, 0) + claim(session, 0)]

    assert claimed and len(set(claimed)) == len(claimed)
    assert not set(rest) & set(claimed) and len(claimed) + len(rest) == queued


def receive(settings: Settings, session: Session, person: int, delivery_id: str) -> Unread | None:
    delivery = Delivery("sms", f"+4477009009{person:02d}", delivery_id, "hello", "+447700900001")
    return inbox.receive(
        session,
        keyring_from(settings),
        delivery,
        pseudonym=f"person-{person}",
        delivery_hash=f"hash-{delivery_id}",
        now=NOW,
        lease=LEASE,
        keep=dt.timedelta(minutes=15),
    )


def test_one_delivery_arriving_at_several_replicas_at_once_is_taken_once(
    migrated: Settings,
) -> None:
    taken = all_at_once(migrated, WRITERS, lambda session, _: receive(migrated, session, 1, "d1"))

    assert sum(unread is not None for unread in taken) == 1
    assert count(migrated, InboundMessage) == 1


def test_replicas_retrying_the_inbox_at_once_never_take_a_message_twice(
    migrated: Settings,
) -> None:
    with session_factory(migrated)() as session:
        for person in range(WRITERS):
            receive(migrated, session, person, f"d{person}")
    keyring = keyring_from(migrated)
    later = NOW + LEASE + dt.timedelta(seconds=1)

    def retry(session: Session, _replica: int) -> list[str]:
        return [u.id for u in inbox.claim_due(session, keyring, now=later, lease=LEASE, limit=3)]

    claimed = [message for each in all_at_once(migrated, WRITERS, retry) for message in each]

    assert claimed and len(set(claimed)) == len(claimed)
