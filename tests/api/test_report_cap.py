"""The web chat's report cap: past the day's number from one address a report is still stored and
answered, but pages nobody and is marked for review (api/cases/report_cap.py).

The clock is frozen: every call is given its `now`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.alerts.escalation import escalate_due
from api.alerts.models import Alert, OutboxMessage
from api.cases.models import Case, WebReportCount
from api.cases.report_cap import MANY_REPORTS_FROM_ADDRESS
from api.cases.schemas import CaseIn
from api.cases.service import REPORTS_PER_ADDRESS_PER_DAY, CaseKeys, create_case
from api.crypto.keys import hash_key_from, keyring_from
from api.db import session_factory
from api.deadlines import WorkingCalendar
from api.org.profile import profile_for
from api.retention.service import purge
from api.settings import Settings
from api.staff.service import create_user
from tests.api.casework_world import World, world_fixture

from .conftest import build_app

#: Tuesday 24 November 2026, 10:00 in London, a working day.
T0 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
ADDRESS = "a1" * 32
OTHER_ADDRESS = "b2" * 32
MANAGER = "lead@example.org"
TEAM = "team@example.org"


@pytest.fixture
def keys(migrated: Settings) -> CaseKeys:
    return CaseKeys(keyring_from(migrated), hash_key_from(migrated))


@pytest.fixture
def report(db: Session, migrated: Settings, keys: CaseKeys) -> Callable[..., Case]:
    """Files an emergency report (the kind that pages every manager) through the case service."""
    calendar = WorkingCalendar.from_profile(profile_for(migrated))
    create_user(
        db, keys, email=MANAGER, role="manager", password="a long and unusual passphrase 42", now=T0
    )
    counter = iter(range(1000))

    def make(
        address_key: str | None = ADDRESS, *, now: dt.datetime = T0, key: str | None = None
    ) -> Case:
        body = {
            "idempotency_key": key or f"cap-{next(counter)}",
            "channel": "web",
            "reporter_type": "self",
            "immediate_danger": "yes",
            "address_key": address_key,
        }
        created = create_case(
            db,
            CaseIn.model_validate(body),
            keys=keys,
            calendar=calendar,
            alert_recipients=[TEAM],
            now=now,
        )
        return created.case

    return make


def sent_for(db: Session, case: Case) -> list[tuple[str, str]]:
    """(kind, recipient) of every outbox message about the case."""
    db.expire_all()
    return sorted(
        db.execute(
            select(OutboxMessage.kind, OutboxMessage.recipient)
            .join(Alert, OutboxMessage.alert_id == Alert.id)
            .where(Alert.case_id == case.id)
        ).all()
    )


def alerts_for(db: Session, case: Case) -> int:
    return len(db.scalars(select(Alert).where(Alert.case_id == case.id)).all())


def test_a_sixth_report_from_one_address_in_a_day_is_stored_not_paged_and_marked_for_review(
    db: Session, migrated: Settings, report: Callable[..., Case]
) -> None:
    assert REPORTS_PER_ADDRESS_PER_DAY == 5
    first_five = [report(now=T0 + dt.timedelta(hours=n)) for n in range(5)]
    for case in first_five:
        assert case.review_reason is None
        assert sent_for(db, case) == [("email", TEAM), ("emergency", MANAGER)]
    sixth = report(now=T0 + dt.timedelta(hours=6))
    assert db.get(Case, sixth.id) is not None
    assert sixth.urgency == "emergency"
    assert sixth.review_reason == MANY_REPORTS_FROM_ADDRESS
    assert alerts_for(db, sixth) == 0
    assert sent_for(db, sixth) == []
    for later in (T0 + dt.timedelta(hours=9), T0 + dt.timedelta(days=2)):
        escalate_due(db, later, migrated)
        assert sent_for(db, sixth) == []


def test_other_addresses_and_messaging_reports_are_not_capped(
    db: Session, report: Callable[..., Case]
) -> None:
    for _ in range(6):
        report()
    assert report(OTHER_ADDRESS).review_reason is None
    messaging = report(None)
    assert messaging.review_reason is None
    assert sent_for(db, messaging) == [("email", TEAM), ("emergency", MANAGER)]


def test_the_count_starts_again_the_next_utc_day_and_earlier_days_are_deleted(
    db: Session, report: Callable[..., Case]
) -> None:
    for _ in range(6):
        report()
    next_day = T0 + dt.timedelta(days=1)
    assert [report(now=next_day).review_reason for _ in range(6)] == [None] * 5 + [
        MANY_REPORTS_FROM_ADDRESS
    ]
    counts = db.execute(select(WebReportCount.day, WebReportCount.reports)).all()
    assert counts == [(next_day.date(), 6)]


def test_the_retention_job_deletes_earlier_days_counts_even_with_no_new_report(
    db: Session, migrated: Settings, report: Callable[..., Case]
) -> None:
    report()
    purge(db, T0 + dt.timedelta(hours=13), migrated)
    assert db.scalars(select(WebReportCount.reports)).all() == [1]
    purge(db, T0 + dt.timedelta(days=1), migrated)
    assert db.scalars(select(WebReportCount.reports)).all() == []


def test_a_retried_report_is_counted_once(db: Session, report: Callable[..., Case]) -> None:
    for _ in range(6):
        case = report(key="the-same-report")
    assert case.review_reason is None
    assert db.scalars(select(WebReportCount.reports)).one() == 1


def test_over_the_cap_the_person_gets_the_same_answer_and_the_cap_is_a_setting(
    settings: Settings, auth: dict[str, str]
) -> None:
    capped = settings.model_copy(update={"web_chat_reports_per_day_per_address": 1})
    body = {"channel": "web", "reporter_type": "self", "address_key": ADDRESS}
    with TestClient(build_app(capped), base_url="https://testserver") as client:
        answers = [
            client.post("/internal/cases", json={**body, "idempotency_key": key}, headers=auth)
            for key in ("first", "second")
        ]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json().keys() == answers[1].json().keys()
    with session_factory(capped)() as db:
        cases = db.scalars(select(Case).order_by(Case.created_at, Case.review_reason)).all()
        assert sorted(str(c.review_reason) for c in cases) == ["None", MANY_REPORTS_FROM_ADDRESS]
        flagged = next(c for c in cases if c.review_reason)
        assert alerts_for(db, flagged) == 0


@pytest.mark.parametrize("address_key", ["A1" * 32, "a1" * 31, "203.0.113.7", "a1" * 32 + "\n"])
def test_only_a_keyed_hash_is_accepted_as_an_address_key(
    client: TestClient, auth: dict[str, str], address_key: str
) -> None:
    body = {"idempotency_key": "k", "channel": "web", "reporter_type": "self"}
    answer = client.post("/internal/cases", json={**body, "address_key": address_key}, headers=auth)
    assert answer.status_code == 422


@pytest.fixture
def world(migrated: Settings) -> Iterator[World]:
    yield from world_fixture(migrated)


def test_the_triage_queue_says_to_check_a_capped_report_before_acting(world: World) -> None:
    with session_factory(world.settings)() as db:
        capped = db.get(Case, world.case_id("triage_case"))
        assert capped is not None
        capped.review_reason = MANY_REPORTS_FROM_ADDRESS
        db.commit()
    html = world.request("meg", "GET", "/staff/queue").text
    rows = re.findall(r"<tr[^>]*>(?:(?!</tr>).)*</tr>", html, re.S)
    warned = [row for row in rows if "check before acting" in row]
    assert len(warned) == 1
    assert world.cases["triage_case"].reference in warned[0]
    assert "Many reports from one address that day" in warned[0]
    queue = world.request("meg", "GET", "/api/v1/queue").json()
    reasons = {row["case_id"]: row["review_reason"] for row in queue}
    assert reasons[world.case_id("triage_case")] == MANY_REPORTS_FROM_ADDRESS
    assert reasons[world.case_id("ann_case")] is None
