"""Escalation: an alert nobody acknowledged goes to the managers, again at the deadline, and an
emergency pages them at once; every message carries the reference and urgency, never the report.

The clock is frozen: every call is given its `now`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.alerts.email import compose
from api.alerts.escalation import EscalationResult, escalate_due
from api.alerts.models import Alert, OutboxMessage
from api.alerts.service import acknowledge, claim_due
from api.alerts.worker import OutboxWorker
from api.cases.models import Case
from api.cases.schemas import CaseIn
from api.cases.service import CaseKeys, create_case
from api.crypto.keys import hash_key_from, keyring_from
from api.db import session_factory, utcnow
from api.deadlines import WorkingCalendar
from api.org.profile import profile_for
from api.settings import Settings
from api.staff.models import StaffUser
from api.staff.service import create_user, disable_user

from .conftest import Mailbox, build_app

CANARY = "CANARY-DISCLOSURE-7f3e"
CONTACT_CANARY = "07700 900123"
PASSWORD = "a long and unusual passphrase 42"
#: Tuesday 24 November 2026, 10:00 in London (GMT), a working day: due Wednesday 10:00.
T0 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
DEADLINE = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def minutes(n: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


@pytest.fixture
def keys(migrated: Settings) -> CaseKeys:
    return CaseKeys(keyring_from(migrated), hash_key_from(migrated))


@pytest.fixture
def new_case(db: Session, migrated: Settings, keys: CaseKeys) -> Callable[..., Case]:
    """Files a report through the real case service, with the canary in every free-text field."""
    calendar = WorkingCalendar.from_profile(profile_for(migrated))
    counter = iter(range(1000))

    def make(
        *, now: dt.datetime = T0, recipients: list[str] | None = None, **fields: object
    ) -> Case:
        report = CaseIn.model_validate(
            {
                "idempotency_key": f"escalation-{next(counter)}",
                "channel": "web",
                "reporter_type": "self",
                "what_happening": CANARY,
                "location": CANARY,
                "code_word": CANARY,
                "safe_times": CANARY,
                "contact_method": "phone",
                "contact_detail": CONTACT_CANARY,
                **fields,
            }
        )
        created = create_case(
            db,
            report,
            keys=keys,
            calendar=calendar,
            alert_recipients=recipients or [],
            now=now,
        )
        return created.case

    return make


@pytest.fixture
def staff(db: Session, keys: CaseKeys) -> Callable[..., StaffUser]:
    """Creates an account with the real staff service; `team` and `active` set afterwards."""

    def make(
        email: str, *, role: str = "manager", team: str = "resolution", active: bool = True
    ) -> StaffUser:
        user, _ = create_user(db, keys, email=email, role=role, password=PASSWORD, now=T0)
        user.team = team
        db.commit()
        if not active:
            disable_user(db, email)
        return user

    return make


@pytest.fixture
def managers(staff: Callable[..., StaffUser]) -> list[str]:
    """Two managers, plus a caseworker and an admin who are never escalated to."""
    staff("lead@example.org")
    staff("deputy@example.org")
    staff("worker@example.org", role="caseworker")
    staff("admin@example.org", role="admin")
    return ["deputy@example.org", "lead@example.org"]


def rows(db: Session, kind: str | None = None) -> list[OutboxMessage]:
    db.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.recipient)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.scalars(query))


def recipients(db: Session, kind: str) -> list[str]:
    return sorted(r.recipient for r in rows(db, kind))


def alert_of(db: Session, case: Case) -> Alert:
    db.expire_all()
    alert = db.scalars(select(Alert).where(Alert.case_id == case.id)).one()
    return alert


def test_an_alert_acknowledged_in_time_is_never_escalated(
    db: Session,
    migrated: Settings,
    new_case: Callable[..., Case],
    staff: Callable[..., StaffUser],
    managers: list[str],
) -> None:
    case = new_case()
    worker = staff("caseworker@example.org", role="caseworker")
    assert acknowledge(db, alert_of(db, case).id, worker.id, minutes(119))
    for now in (minutes(120), DEADLINE, DEADLINE + dt.timedelta(days=30)):
        assert escalate_due(db, now, migrated) == EscalationResult()
    assert rows(db) == []
    alert = alert_of(db, case)
    assert (alert.escalated_at, alert.deadline_escalated_at) == (None, None)


def test_unacknowledged_goes_to_each_manager_when_the_window_ends(
    db: Session, migrated: Settings, new_case: Callable[..., Case], managers: list[str]
) -> None:
    case = new_case()
    assert escalate_due(db, minutes(119), migrated) == EscalationResult()
    assert rows(db) == []

    result = escalate_due(db, minutes(120), migrated)

    assert (result.escalated, result.messages, result.deadline_missed) == (1, 2, 0)
    assert recipients(db, "escalation") == managers
    assert alert_of(db, case).escalated_at == minutes(120)
    assert alert_of(db, case).deadline_escalated_at is None


def test_the_window_is_a_setting(
    db: Session, migrated: Settings, new_case: Callable[..., Case], managers: list[str]
) -> None:
    quick = migrated.model_copy(update={"acknowledge_within_minutes": 30})
    new_case()
    assert escalate_due(db, minutes(29), quick).messages == 0
    assert escalate_due(db, minutes(30), quick).messages == 2


def test_running_again_does_not_queue_again(
    db: Session, migrated: Settings, new_case: Callable[..., Case], managers: list[str]
) -> None:
    new_case()
    assert escalate_due(db, minutes(120), migrated).messages == 2
    assert escalate_due(db, minutes(120), migrated) == EscalationResult()
    assert escalate_due(db, minutes(600), migrated) == EscalationResult()
    assert len(rows(db)) == 2


def test_two_workers_at_once_queue_each_escalation_once(
    db: Session, migrated: Settings, new_case: Callable[..., Case], managers: list[str]
) -> None:
    for _ in range(5):
        new_case()
    start = threading.Barrier(2)
    results: list[EscalationResult] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with session_factory(migrated)() as session:
                start.wait()
                results.append(escalate_due(session, DEADLINE, migrated))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sum(r.escalated for r in results) == 5
    assert sum(r.deadline_missed for r in results) == 5
    assert len(rows(db, "escalation")) == 10
    assert len(rows(db, "deadline_missed")) == 10


def test_at_the_deadline_the_managers_are_told_again(
    db: Session, migrated: Settings, new_case: Callable[..., Case], managers: list[str]
) -> None:
    case = new_case()
    assert case.deadline_at == DEADLINE
    escalate_due(db, minutes(120), migrated)
    assert escalate_due(db, DEADLINE - dt.timedelta(seconds=1), migrated) == EscalationResult()

    result = escalate_due(db, DEADLINE, migrated)

    assert (result.escalated, result.deadline_missed, result.messages) == (0, 1, 2)
    assert recipients(db, "deadline_missed") == managers
    assert alert_of(db, case).deadline_escalated_at == DEADLINE
    assert escalate_due(db, DEADLINE + dt.timedelta(hours=1), migrated) == EscalationResult()


def test_found_late_both_messages_go_in_one_pass(
    db: Session, migrated: Settings, new_case: Callable[..., Case], managers: list[str]
) -> None:
    """A gateway that was down all day catches up: one escalation and one deadline message each."""
    new_case()
    result = escalate_due(db, DEADLINE + dt.timedelta(hours=2), migrated)
    assert (result.escalated, result.deadline_missed, result.messages) == (1, 1, 4)


def test_acknowledged_after_the_escalation_stops_the_deadline_message(
    db: Session,
    migrated: Settings,
    new_case: Callable[..., Case],
    staff: Callable[..., StaffUser],
    managers: list[str],
) -> None:
    case = new_case()
    escalate_due(db, minutes(120), migrated)
    acknowledge(
        db, alert_of(db, case).id, staff("cw@example.org", role="caseworker").id, minutes(130)
    )
    assert escalate_due(db, DEADLINE, migrated) == EscalationResult()
    assert rows(db, "deadline_missed") == []


def test_an_emergency_pages_the_managers_when_the_case_is_stored(
    db: Session, migrated: Settings, new_case: Callable[..., Case], managers: list[str]
) -> None:
    case = new_case(immediate_danger="yes", recipients=["duty@example.org"])

    assert case.urgency == "emergency"
    assert recipients(db, "emergency") == managers  # before any escalation pass
    assert recipients(db, "email") == ["duty@example.org"]
    assert all(r.next_attempt_at == T0 and r.delivered_at is None for r in rows(db))
    assert alert_of(db, case).escalated_at == T0
    # The page was the escalation; the reminder comes when the acknowledgement window ends, and
    # says "not yet acknowledged": the deadline (one working day, as for any report) is still ahead.
    assert case.deadline_at == DEADLINE
    assert escalate_due(db, minutes(1), migrated) == EscalationResult()
    assert escalate_due(db, minutes(119), migrated) == EscalationResult()
    result = escalate_due(db, minutes(120), migrated)
    assert (result.escalated, result.deadline_missed) == (1, 0)
    assert recipients(db, "escalation") == managers
    assert escalate_due(db, DEADLINE + dt.timedelta(days=1), migrated) == EscalationResult()


def test_a_manager_on_the_alert_list_is_not_paged_twice(
    db: Session, new_case: Callable[..., Case], managers: list[str]
) -> None:
    new_case(immediate_danger="yes", recipients=["Lead@example.org", "duty@example.org"])
    assert recipients(db, "emergency") == ["deputy@example.org"]
    assert recipients(db, "email") == ["Lead@example.org", "duty@example.org"]


def test_an_emergency_queued_without_its_page_is_paged_by_the_next_pass(
    db: Session, migrated: Settings, new_case: Callable[..., Case], managers: list[str]
) -> None:
    """An alert stored before escalation existed (no page, escalated_at empty) is caught up."""
    case = new_case(immediate_danger="yes")
    for row in rows(db, "emergency"):
        db.delete(row)
    alert_of(db, case).escalated_at = None
    db.commit()
    result = escalate_due(db, minutes(1), migrated)
    assert (result.escalated, result.messages) == (1, 2)
    assert recipients(db, "emergency") == managers


def test_non_emergencies_page_nobody_at_creation(
    db: Session, new_case: Callable[..., Case], managers: list[str]
) -> None:
    new_case(children="yes")
    new_case()
    assert rows(db) == []


def test_a_disabled_manager_gets_nothing(
    db: Session,
    migrated: Settings,
    new_case: Callable[..., Case],
    staff: Callable[..., StaffUser],
) -> None:
    staff("lead@example.org")
    staff("gone@example.org", active=False)
    new_case(immediate_danger="yes")
    new_case()
    escalate_due(db, DEADLINE, migrated)
    assert {r.recipient for r in rows(db)} == {"lead@example.org"}
    assert len(rows(db)) == 4  # emergency page, its reminder, escalation, deadline missed


def test_another_teams_manager_gets_nothing_when_the_case_has_a_team(
    db: Session,
    migrated: Settings,
    new_case: Callable[..., Case],
    staff: Callable[..., StaffUser],
) -> None:
    staff("north@example.org", team="north")
    staff("south@example.org", team="south")
    assigned = new_case()
    assigned.team = "north"
    triage = new_case()  # no team yet: every active manager
    orphan = new_case()
    orphan.team = "east"  # a team with no active manager: every active manager rather than nobody
    db.commit()

    escalate_due(db, minutes(120), migrated)

    by_alert: dict[str, set[str]] = {}
    for row in rows(db, "escalation"):
        by_alert.setdefault(row.alert_id, set()).add(row.recipient)
    assert by_alert[alert_of(db, assigned).id] == {"north@example.org"}
    assert by_alert[alert_of(db, triage).id] == {"north@example.org", "south@example.org"}
    assert by_alert[alert_of(db, orphan).id] == {"north@example.org", "south@example.org"}


def test_with_no_manager_the_alert_addresses_are_told_and_a_warning_logged(
    db: Session,
    migrated: Settings,
    new_case: Callable[..., Case],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with_list = migrated.model_copy(update={"alert_emails": "duty@example.org, ops@example.org"})
    case = new_case()
    with caplog.at_level(logging.WARNING, logger="quietdoor.alerts"):
        result = escalate_due(db, minutes(120), with_list)
    assert (result.escalated, result.fallback, result.messages) == (1, 1, 2)
    assert recipients(db, "escalation") == ["duty@example.org", "ops@example.org"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["no active manager: 1 escalation(s) sent to the alert addresses instead"]
    assert case.reference not in caplog.text and "example.org" not in caplog.text


def test_with_nobody_at_all_the_escalation_waits_for_a_manager(
    db: Session,
    migrated: Settings,
    new_case: Callable[..., Case],
    staff: Callable[..., StaffUser],
) -> None:
    case = new_case()
    assert escalate_due(db, minutes(120), migrated) == EscalationResult(unrouted=1)
    assert alert_of(db, case).escalated_at is None
    staff("lead@example.org")
    result = escalate_due(db, minutes(125), migrated)
    assert (result.escalated, result.unrouted) == (1, 0)
    assert recipients(db, "escalation") == ["lead@example.org"]


def test_messages_carry_reference_urgency_and_deadline_never_the_report(
    db: Session, migrated: Settings, new_case: Callable[..., Case], managers: list[str]
) -> None:
    standard = new_case(recipients=["duty@example.org"])
    priority = new_case(children="yes", recipients=["duty@example.org"])
    emergency = new_case(immediate_danger="yes", recipients=["duty@example.org"])
    escalate_due(db, minutes(120), migrated)
    escalate_due(db, DEADLINE, migrated)
    assert {r.kind for r in rows(db)} == {"email", "escalation", "deadline_missed", "emergency"}
    for row in rows(db):
        stored = " ".join(str(value) for value in vars(row).values())
        assert CANARY not in stored and CONTACT_CANARY not in stored

    due = claim_due(db, DEADLINE, dt.timedelta(minutes=2), limit=100)
    # 3 alerts, 2 emergency pages, 3 x 2 not-acknowledged messages, 2 x 2 deadline messages
    assert len(due) == len(rows(db)) == 15
    profile = profile_for(migrated)
    subjects = set()
    for message in due:
        email = compose(message, migrated, profile, DEADLINE)
        raw = email.as_bytes()
        assert CANARY.encode() not in raw and CONTACT_CANARY.encode() not in raw
        assert b"phone" not in raw.lower()
        body = email.get_content()
        assert message.reference in email["Subject"] and message.reference in body
        assert "https://staff.example.org/staff/queue" in body
        subjects.add((message.kind, email["Subject"]))

    ref = {c.urgency: c.reference for c in (standard, priority, emergency)}
    assert (
        "escalation",
        f"Quiet Door: Not yet acknowledged: {ref['priority']}, Priority, "
        "due by 10am on Wednesday 25 November",
    ) in subjects
    assert (
        "deadline_missed",
        f"Quiet Door: Deadline missed: {ref['standard']}, Standard, "
        "was due by 10am on Wednesday 25 November",
    ) in subjects
    assert (
        "escalation",
        f"Quiet Door: Not yet acknowledged: {ref['emergency']}, EMERGENCY, "
        "due by 10am on Wednesday 25 November",
    ) in subjects
    emergency_subjects = [s for kind, s in subjects if kind == "emergency"]
    assert emergency_subjects == [f"EMERGENCY: Quiet Door report {ref['emergency']}"]
    assert ("email", f"Quiet Door: Standard report {ref['standard']}") in subjects


def test_the_worker_sends_an_escalation_in_the_pass_that_finds_it(
    mail_settings: Settings,
    mailbox: Mailbox,
    db: Session,
    new_case: Callable[..., Case],
    staff: Callable[..., StaffUser],
) -> None:
    staff("lead@example.org")
    case = new_case(now=utcnow() - dt.timedelta(hours=3))

    asyncio.run(OutboxWorker(mail_settings).run_once())

    messages = mailbox.wait_for(1)
    assert [m["To"] for m in messages] == ["lead@example.org"]
    subject = " ".join(str(messages[0]["Subject"]).split())  # long headers arrive folded
    assert subject.startswith(f"Quiet Door: Not yet acknowledged: {case.reference}, Standard")
    assert CANARY.encode() not in mailbox.raw[0]
    assert all(r.delivered_at is not None for r in rows(db))


@pytest.fixture
def manager_before_start(migrated: Settings, keys: CaseKeys) -> Iterator[str]:
    with session_factory(migrated)() as session:
        create_user(
            session, keys, email="lead@example.org", role="manager", password=PASSWORD, now=T0
        )
    yield "lead@example.org"


def test_an_emergency_report_pages_the_manager_by_email_at_once(
    mail_settings: Settings,
    mailbox: Mailbox,
    manager_before_start: str,
    auth: dict[str, str],
    case_body: Callable[..., dict[str, object]],
) -> None:
    slow_poll = mail_settings.model_copy(update={"outbox_poll_seconds": 60.0})
    with TestClient(build_app(slow_poll), base_url="https://testserver") as client:
        response = client.post(
            "/internal/cases",
            json=case_body(immediate_danger="yes", what_happening=CANARY),
            headers=auth,
        )
        assert response.status_code == 201
        messages = mailbox.wait_for(3, timeout=5)
    pages = [m for m in messages if m["To"] == manager_before_start]
    assert len(pages) == 1 and pages[0]["Subject"].startswith("EMERGENCY")
    assert response.json()["reference"] in pages[0]["Subject"]
    assert all(CANARY.encode() not in raw for raw in mailbox.raw)


def test_an_alert_on_a_closed_case_is_not_chased(
    db: Session, migrated: Settings, new_case: Callable[..., Case], managers: list[str]
) -> None:
    case = new_case()
    case.status, case.closed_at = "closed", T0
    db.commit()
    assert escalate_due(db, T0 + dt.timedelta(days=3), migrated) == EscalationResult()
    assert rows(db) == []
