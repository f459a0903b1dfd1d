"""Alerts: written with the case or not at all, e-mailed at least once, never with content, and
never promising a response sooner than the deadline the person was told."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import api.cases.service as case_service
from api.alerts.email import compose
from api.alerts.models import Alert, OutboxMessage
from api.alerts.service import (
    KIND_ALERT,
    KIND_DEADLINE_MISSED,
    KIND_EMERGENCY,
    KIND_ESCALATION,
    DueMessage,
    claim_due,
    retry_delay,
)
from api.cases.models import Case
from api.cases.schemas import CaseIn
from api.cases.service import CaseKeys, create_case
from api.crypto.keys import hash_key_from, keyring_from
from api.crypto.models import DataKey
from api.db import session_factory, utcnow
from api.deadlines import WorkingCalendar, deadline_text, one_working_day_after
from api.org.profile import load_profile, profile_for
from api.settings import Settings
from tests.timing_cases import (
    MOMENT_IDS,
    MOMENTS,
    OUT_OF_HOURS,
    ROUND_THE_CLOCK,
    Moment,
    orgs_in,
    promises_in,
)

from .conftest import Mailbox, build_app

CaseBody = Callable[..., dict[str, object]]
URL = "/internal/cases"
SECRET = "SECRET-DISCLOSURE-4b1d"


def counts(settings: Settings) -> tuple[int, int, int, int]:
    with session_factory(settings)() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(m)) or 0
            for m in (Case, Alert, OutboxMessage, DataKey)
        )


def outbox(settings: Settings) -> list[OutboxMessage]:
    with session_factory(settings)() as session:
        return list(session.scalars(select(OutboxMessage)))


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def full_report(case_body: CaseBody, **extra: object) -> dict[str, object]:
    return case_body(
        what_happening=SECRET,
        location=SECRET,
        contact_method="phone",
        contact_detail="07700 900987",
        code_word=SECRET,
        **extra,
    )


def test_alert_mail_carries_reference_urgency_deadline_and_link_only(
    mail_settings: Settings, mailbox: Mailbox, auth: dict[str, str], case_body: CaseBody
) -> None:
    with TestClient(build_app(mail_settings), base_url="https://testserver") as client:
        response = client.post(URL, json=full_report(case_body, children="yes"), headers=auth)
        assert response.status_code == 201
        reference = response.json()["reference"]
        messages = mailbox.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["duty@example.org", "manager@example.org"]
    for message, raw in zip(messages, mailbox.raw, strict=True):
        body = message.get_payload(decode=True).decode()
        assert message["Subject"] == f"Quiet Door: Priority report {reference}"
        assert reference in body and "Urgency: Priority" in body
        assert response.json()["deadline_text"] in body
        assert "https://staff.example.org/staff/queue" in body
        for secret in (SECRET.encode(), b"07700 900987", b"phone"):
            assert secret not in raw
    rows = outbox(mail_settings)
    assert all(r.delivered_at is not None and r.attempts == 1 for r in rows)
    assert all(r.last_error is None for r in rows)


def test_emergency_is_sent_at_once_not_at_the_next_poll(
    mail_settings: Settings, mailbox: Mailbox, auth: dict[str, str], case_body: CaseBody
) -> None:
    slow_poll = mail_settings.model_copy(update={"outbox_poll_seconds": 60.0})
    with TestClient(build_app(slow_poll), base_url="https://testserver") as client:
        time.sleep(0.3)  # let the worker's first (empty) pass finish and start its long wait
        started = time.monotonic()
        response = client.post(URL, json=case_body(immediate_danger="yes"), headers=auth)
        assert response.json()["urgency"] == "emergency"
        assert len(mailbox.wait_for(2, timeout=5)) == 2
        assert time.monotonic() - started < 5
    assert "EMERGENCY" in mailbox.messages[0]["Subject"]
    body = mailbox.messages[0].get_payload(decode=True).decode()
    assert "999" in body and "0808 2000 247" in body
    assert response.json()["deadline_text"] in body and promises_in(body) == []


def test_delivery_is_retried_with_backoff_after_the_mail_server_was_down(
    mail_settings: Settings, smtp_port: int, auth: dict[str, str], case_body: CaseBody
) -> None:
    with TestClient(build_app(mail_settings), base_url="https://testserver") as client:
        assert client.post(URL, json=full_report(case_body), headers=auth).status_code == 201
        assert wait_until(lambda: all(r.attempts >= 2 for r in outbox(mail_settings)))
        for row in outbox(mail_settings):
            assert row.delivered_at is None
            assert row.last_error and SECRET not in row.last_error
            assert row.last_error in {"ConnectionRefusedError", "SMTPServerDisconnected", "OSError"}
        box = Mailbox()
        controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        try:
            assert len(box.wait_for(2)) == 2
            assert wait_until(lambda: all(r.delivered_at for r in outbox(mail_settings)))
        finally:
            controller.stop()


def test_no_smtp_configured_keeps_messages_queued(
    settings: Settings, auth: dict[str, str], case_body: CaseBody
) -> None:
    unsent = settings.model_copy(update={"alert_emails": "duty@example.org"})
    with TestClient(build_app(unsent), base_url="https://testserver") as client:
        client.post(URL, json=case_body(), headers=auth)
        assert wait_until(lambda: outbox(unsent)[0].attempts >= 1)
    row = outbox(unsent)[0]
    assert (row.delivered_at, row.last_error) == (None, "SmtpNotConfigured")


def _create(db: Session, settings: Settings, recipients: list[str]) -> None:
    create_case(
        db,
        CaseIn(
            idempotency_key="atomic-1", channel="web", reporter_type="self", what_happening=SECRET
        ),
        keys=CaseKeys(keyring_from(settings), hash_key_from(settings)),
        calendar=WorkingCalendar.from_profile(profile_for(settings)),
        alert_recipients=recipients,
        now=utcnow(),
    )


def test_case_and_alert_are_one_transaction(
    db: Session, migrated: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def queue_then_fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated crash between the case and its alert")

    monkeypatch.setattr(case_service, "queue_alert", queue_then_fail)
    with pytest.raises(RuntimeError, match="simulated"):
        _create(db, migrated, ["duty@example.org"])
    db.rollback()
    assert counts(migrated) == (0, 0, 0, 0)


def test_a_failing_outbox_insert_leaves_no_case(db: Session, migrated: Settings) -> None:
    with pytest.raises(Exception):  # noqa: B017 - the NOT NULL violation, whatever its class
        _create(db, migrated, [None])  # type: ignore[list-item]
    db.rollback()
    assert counts(migrated) == (0, 0, 0, 0)
    _create(db, migrated, ["duty@example.org"])  # the retry starts clean
    assert counts(migrated) == (1, 1, 1, 1)


def test_a_claimed_message_is_not_claimed_twice(db: Session, migrated: Settings) -> None:
    _create(db, migrated, ["duty@example.org"])
    now = utcnow()
    assert len(claim_due(db, now, dt.timedelta(minutes=2))) == 1
    assert claim_due(db, now, dt.timedelta(minutes=2)) == []
    assert len(claim_due(db, now + dt.timedelta(minutes=3), dt.timedelta(minutes=2))) == 1


def test_backoff_doubles_and_is_capped() -> None:
    delays = [retry_delay(n, 30, 3600).total_seconds() for n in range(10)]
    assert delays[:4] == [30, 60, 120, 240]
    assert max(delays) == 3600 and delays[-1] == 3600


KINDS = (KIND_ALERT, KIND_ESCALATION, KIND_DEADLINE_MISSED, KIND_EMERGENCY)


def due_message(moment: Moment, urgency: str, kind: str, calendar: WorkingCalendar) -> DueMessage:
    """The only facts an e-mail is made from: reference, urgency, deadline, kind, recipient."""
    return DueMessage(
        id="outbox-1",
        recipient="duty@example.org",
        attempts=0,
        reference="QD-ABCD-EFGH",
        urgency=urgency,
        deadline_at=one_working_day_after(moment.at, calendar),
        kind=kind,
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("urgency", ["emergency", "priority", "standard"])
@pytest.mark.parametrize("moment", MOMENTS, ids=MOMENT_IDS)
def test_alert_texts_say_the_deadline_and_promise_nothing_sooner(
    settings: Settings, tmp_path: Path, moment: Moment, urgency: str, kind: str
) -> None:
    profile = load_profile(orgs_in(tmp_path, moment.nation), "stonewater")
    calendar = WorkingCalendar.from_profile(profile)
    message = due_message(moment, urgency, kind, calendar)

    email = compose(message, settings, profile, moment.at.astimezone(dt.UTC))

    body = email.get_content()
    words = f"{email['Subject']}\n{body}"
    assert promises_in(words) == []
    assert f"Respond: {moment.deadline_text}\n" in body
    assert deadline_text(message.deadline_at, profile.tz, now=moment.at) == moment.deadline_text
    if urgency == "emergency":
        assert "The person was given 999 and the 24-hour line" in body
        assert ROUND_THE_CLOCK[moment.nation] in body
        assert moment.team_words in body
    else:
        assert "999" not in body and "The team is" not in body


def test_an_emergency_e_mail_names_the_out_of_hours_service(
    settings: Settings, tmp_path: Path
) -> None:
    profile = load_profile(orgs_in(tmp_path, "ENG", out_of_hours=OUT_OF_HOURS), "stonewater")
    moment = MOMENTS[1]  # the weekend
    message = due_message(
        moment, "emergency", KIND_EMERGENCY, WorkingCalendar.from_profile(profile)
    )
    body = compose(message, settings, profile, moment.at).get_content()
    assert "Example Housing out-of-hours line (0300 000 0000)" in body
    assert "The team is next working at 9am on Monday 7 December." in body
