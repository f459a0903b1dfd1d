"""`POST /internal/cases`: auth, validation, triage, codes, idempotency, no plaintext at rest."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from api.alerts.models import Alert
from api.cases.codes import ALPHABET
from api.cases.models import Case
from api.cases.service import find_by_follow_up_code
from api.crypto.keys import hash_key_from
from api.db import dispose_engines, session_factory
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

from .conftest import build_app

CaseBody = Callable[..., dict[str, object]]
URL = "/internal/cases"
CANARY = "CANARY-7f3a9c-PLAINTEXT"


def count(settings: Settings, model: type) -> int:
    with session_factory(settings)() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Basic dGVzdDp0ZXN0"},
        {"Authorization": "Bearer"},
    ],
)
def test_refused_without_the_service_token(
    client: TestClient, case_body: CaseBody, settings: Settings, headers: dict[str, str]
) -> None:
    response = client.post(URL, json=case_body(what_happening="x"), headers=headers)
    assert response.status_code == 401
    assert count(settings, Case) == 0


def test_unknown_field_without_token_is_still_401(client: TestClient, case_body: CaseBody) -> None:
    assert client.post(URL, json=case_body(nonsense=1)).status_code == 401


@pytest.mark.parametrize(
    "change",
    [
        {"nonsense": "x"},
        {"what_happening": "x" * 5001},
        {"location": "x" * 501},
        {"code_word": "x" * 101},
        {"idempotency_key": "k" * 201},
        {"idempotency_key": ""},
        {"channel": "carrier-pigeon"},
        {"reporter_type": "abuser"},
        {"immediate_danger": "maybe"},
        {"abuse_kinds": ["physical", "nonsense"]},
        {"abuse_kinds": "physical"},
        {"contact_method": "fax"},
        {"interpreter": "klingon"},
        {"channel": None},
    ],
)
def test_bad_input_is_a_clear_422(
    client: TestClient,
    auth: dict[str, str],
    case_body: CaseBody,
    settings: Settings,
    change: dict[str, object],
) -> None:
    response = client.post(URL, json=case_body(**change), headers=auth)
    assert response.status_code == 422
    assert count(settings, Case) == 0


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b"[]", b"null", b'{"channel": "\\ud800"}', b"\xff\xfe"],
)
def test_malformed_bodies_are_4xx_never_500(
    client: TestClient, auth: dict[str, str], content: bytes
) -> None:
    response = client.post(
        URL, content=content, headers={**auth, "Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500


def test_missing_required_fields_are_422(client: TestClient, auth: dict[str, str]) -> None:
    assert client.post(URL, json={"channel": "web"}, headers=auth).status_code == 422


@pytest.mark.parametrize(
    ("fields", "urgency"),
    [
        ({"immediate_danger": "yes", "children": "no"}, "emergency"),
        ({"immediate_danger": "yes", "children": "yes"}, "emergency"),
        ({"immediate_danger": "unknown"}, "priority"),
        ({"immediate_danger": "no", "children": "yes"}, "priority"),
        ({"immediate_danger": "no", "children": "unknown"}, "standard"),
        ({}, "standard"),
    ],
)
def test_urgency_triage(
    client: TestClient,
    auth: dict[str, str],
    case_body: CaseBody,
    fields: dict[str, str],
    urgency: str,
) -> None:
    response = client.post(URL, json=case_body(**fields), headers=auth)
    assert response.status_code == 201
    body = response.json()
    assert body["urgency"] == urgency
    # An emergency too: one working day is what the team can promise, in a day and a time.
    assert re.fullmatch(
        r"by (\d{1,2}(:\d\d)?(am|pm)|midday) on [A-Z][a-z]+day \d{1,2} [A-Z][a-z]+( \d{4})?",
        body["deadline_text"],
    ), body["deadline_text"]


def test_response_shape_and_stored_columns(
    client: TestClient, auth: dict[str, str], case_body: CaseBody, settings: Settings
) -> None:
    response = client.post(
        URL, json=case_body(contact_method="text", contact_detail="07700 900123"), headers=auth
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "reference",
        "follow_up_code",
        "urgency",
        "deadline",
        "deadline_text",
        "contact_method",
        "team_open_now",
        "helpline_name",
        "helpline_contact",
        "out_of_hours_name",
        "out_of_hours_contact",
    }
    assert re.fullmatch(rf"QD-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", body["reference"])
    assert body["follow_up_code"] is None
    assert body["contact_method"] == "text"
    deadline = dt.datetime.fromisoformat(body["deadline"])
    assert deadline.utcoffset() in (dt.timedelta(0), dt.timedelta(hours=1))  # London time
    assert response.headers["cache-control"] == "no-store"
    with session_factory(settings)() as session:
        case = session.scalars(select(Case)).one()
        assert (case.status, case.channel, case.reporter_type) == ("new", "web", "self")
        assert case.follow_up_hash is None


@pytest.mark.parametrize("danger", ["yes", "no"])
@pytest.mark.parametrize("moment", MOMENTS, ids=MOMENT_IDS)
def test_the_answer_says_truly_when_the_team_will_respond(
    settings: Settings,
    auth: dict[str, str],
    case_body: CaseBody,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    moment: Moment,
    danger: str,
) -> None:
    """At night, at the weekend, on a bank holiday and in office hours, an emergency or not."""
    monkeypatch.setattr("api.cases.router.utcnow", lambda: moment.at.astimezone(dt.UTC))
    in_nation = settings.model_copy(update={"org_dir": orgs_in(tmp_path, moment.nation)})
    with TestClient(build_app(in_nation), base_url="https://testserver") as client:
        response = client.post(URL, json=case_body(immediate_danger=danger), headers=auth)
    assert response.status_code == 201
    body = response.json()
    assert body["urgency"] == ("emergency" if danger == "yes" else "standard")
    assert body["deadline_text"] == moment.deadline_text
    assert body["team_open_now"] is moment.team_open
    assert body["helpline_contact"] == ROUND_THE_CLOCK[moment.nation]
    assert (body["out_of_hours_name"], body["out_of_hours_contact"]) == (None, None)
    words = " ".join(str(value) for value in body.values())
    assert promises_in(words) == []


def test_the_answer_names_the_out_of_hours_service_when_there_is_one(
    settings: Settings,
    auth: dict[str, str],
    case_body: CaseBody,
    tmp_path: Path,
) -> None:
    orgs = orgs_in(tmp_path, "ENG", out_of_hours=OUT_OF_HOURS)
    with TestClient(build_app(settings.model_copy(update={"org_dir": orgs}))) as client:
        body = client.post(URL, json=case_body(immediate_danger="yes"), headers=auth).json()
    assert body["out_of_hours_name"] == "Example Housing out-of-hours line"
    assert body["out_of_hours_contact"] == "0300 000 0000"
    assert body["helpline_name"] == "National Domestic Abuse Helpline (Refuge)"


def test_an_emergency_is_due_in_one_working_day_like_any_report(
    client: TestClient, auth: dict[str, str], case_body: CaseBody
) -> None:
    """The promise is the policies' one working day; the managers are paged at once instead."""
    emergency = client.post(URL, json=case_body(immediate_danger="yes"), headers=auth).json()
    standard = client.post(URL, json=case_body(), headers=auth).json()
    gap = dt.datetime.fromisoformat(emergency["deadline"]) - dt.datetime.fromisoformat(
        standard["deadline"]
    )
    assert abs(gap) < dt.timedelta(seconds=5)


@pytest.mark.sqlite_only  # it reads the SQLite files' raw bytes
def test_anonymous_report_gets_a_follow_up_code_stored_only_as_a_hash(
    client: TestClient, auth: dict[str, str], case_body: CaseBody, settings: Settings
) -> None:
    for method in (None, "none"):
        response = client.post(URL, json=case_body(contact_method=method), headers=auth)
        code = response.json()["follow_up_code"]
        assert re.fullmatch(rf"([{ALPHABET}]{{4}}-){{3}}[{ALPHABET}]{{4}}", code)
        with session_factory(settings)() as session:
            case = find_by_follow_up_code(session, hash_key_from(settings), code.lower())
            assert case is not None and case.follow_up_hash != code
            assert case.follow_up_hash and len(case.follow_up_hash) == 64
        dispose_engines()
        raw = b"".join(p.read_bytes() for p in Path(settings.var_dir).iterdir() if p.is_file())
        assert code.encode() not in raw and code.replace("-", "").encode() not in raw


def test_same_idempotency_key_returns_the_same_case_once(
    client: TestClient, auth: dict[str, str], case_body: CaseBody, settings: Settings
) -> None:
    body = case_body(
        idempotency_key="conversation-42:report", immediate_danger="yes", contact_method="text"
    )
    first = client.post(URL, json=body, headers=auth)
    second = client.post(URL, json=body, headers=auth)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["reference"] == second.json()["reference"]
    assert second.json()["follow_up_code"] is None  # not anonymous: no code either time
    assert (count(settings, Case), count(settings, Alert)) == (1, 1)
    with session_factory(settings)() as session:
        assert "conversation-42" not in session.scalars(select(Case.idempotency_hash)).one()


def test_a_retried_anonymous_report_gets_a_working_code_and_the_lost_one_stops(
    client: TestClient, auth: dict[str, str], case_body: CaseBody, settings: Settings
) -> None:
    body = case_body(idempotency_key="conversation-43:report", contact_method="none")
    lost = client.post(URL, json=body, headers=auth).json()["follow_up_code"]
    retried = client.post(URL, json=body, headers=auth).json()["follow_up_code"]
    assert lost and retried and lost != retried
    assert (count(settings, Case), count(settings, Alert)) == (1, 1)
    with session_factory(settings)() as session:
        assert find_by_follow_up_code(session, hash_key_from(settings), retried) is not None
        assert find_by_follow_up_code(session, hash_key_from(settings), lost) is None


def test_missing_keys_give_503_not_a_crash(
    settings: Settings, auth: dict[str, str], case_body: CaseBody, caplog: pytest.LogCaptureFixture
) -> None:
    broken = settings.model_copy(update={"master_keys": SecretStr("k1:too-short")})
    with TestClient(build_app(broken), base_url="https://testserver") as client:
        response = client.post(URL, json=case_body(what_happening=CANARY), headers=auth)
        assert response.status_code == 503
        assert "QD_MASTER_KEYS" in caplog.text
        assert client.get("/staff/login").status_code == 200  # the rest of the app is up


@pytest.mark.sqlite_only  # it reads the SQLite files' raw bytes
def test_canary_is_absent_from_the_database_wal_shm_and_logs(
    client: TestClient,
    auth: dict[str, str],
    case_body: CaseBody,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    sensitive = {
        "what_happening": f"{CANARY} what",
        "location": f"{CANARY} location",
        "contact_detail": f"{CANARY} contact",
        "safe_times": f"{CANARY} times",
        "code_word": f"{CANARY} word",
        "language": f"{CANARY} language",
    }
    body = case_body(
        idempotency_key=f"{CANARY} key",
        contact_method="phone",
        abuse_kinds=["coercive_control", "economic"],
        voicemail_safe="no",
        letter_safe="no",
        interpreter="bsl",
        consent_to_share="yes",
        security_needed="yes",
        **sensitive,
    )
    assert client.post(URL, json=body, headers=auth).status_code == 201

    db_path = Path(settings.var_dir) / "quietdoor.db"
    files = sorted(p.name for p in db_path.parent.iterdir())
    assert "quietdoor.db-wal" in files  # WAL is on: the log is where fresh writes land

    def raw_bytes() -> bytes:
        return b"".join(p.read_bytes() for p in db_path.parent.iterdir() if p.is_file())

    needles = [CANARY.encode(), CANARY.encode("utf-16-le"), b"coercive_control"]
    before = raw_bytes()  # while the WAL still holds the new pages
    with sqlite3.connect(db_path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    after = raw_bytes()  # after the pages were copied into the main file
    for needle in needles:
        assert needle not in before and needle not in after, needle
    assert CANARY not in caplog.text


def test_validation_errors_never_echo_what_was_sent(
    client: TestClient, auth: dict[str, str], case_body: CaseBody
) -> None:
    body = case_body(what_happening=CANARY * 300, code_word=CANARY, channel="nope")
    response = client.post(URL, json=body, headers=auth)
    assert response.status_code == 422
    assert CANARY not in response.text
    assert {tuple(e["loc"]) for e in response.json()["detail"]} >= {("body", "what_happening")}


@pytest.mark.parametrize("field", ["what_happening", "idempotency_key", "code_word"])
def test_text_that_is_not_valid_unicode_is_422(
    client: TestClient, auth: dict[str, str], case_body: CaseBody, field: str
) -> None:
    body = case_body()
    body[field] = "PLACEHOLDER"
    content = json.dumps(body).replace("PLACEHOLDER", "abc\\ud800def").encode()
    response = client.post(
        URL, content=content, headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
