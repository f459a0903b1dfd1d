"""Follow-up with a code (`POST /chat/follow-up`, `/chat/follow-up/messages`), over real HTTP.

Cases are made with the case service against the gateway's own database. Every test sends from an
address of its own (`X-Forwarded-For`, which uvicorn trusts from 127.0.0.1 by default), so one
test's wrong codes never throttle another's, nor the browser tests, which come from 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from channel_standins import Gateway
from messaging_standins import HASH_KEY, MASTER_KEYS
from sqlalchemy import select, update

from api import throttle
from api.audit.service import Auditor
from api.cases.models import Case
from api.cases.schemas import CaseIn
from api.cases.service import CaseKeys, create_case
from api.casework.desk import Desk
from api.casework.follow_up import STATUS_WORDS, staff_reply
from api.casework.models import FollowUpMessage
from api.crypto.keys import hash_key_from, keyring_from
from api.db import session_factory, utcnow
from api.deadlines import WorkingCalendar
from api.org.profile import profile_for
from api.staff.service import create_user
from channels.request_body import MAX_BODY_BYTES
from channels.web import follow_up
from channels.web.headers import CONTENT_SECURITY_POLICY

JSON = {"content-type": "application/json"}
LOOK_UP = "/chat/follow-up"
SEND = "/chat/follow-up/messages"
WRONG_CODE = {"detail": "That code did not work. Check it and try again."}
# Never issued: the alphabet has no 0, O, 1, I or L.
NEVER_ISSUED = "2222-3333-4444-5555"


@dataclass(frozen=True)
class IssuedCase:
    id: str
    reference: str
    code: str


def keys_for(gateway: Gateway) -> CaseKeys:
    return CaseKeys(
        keyring=keyring_from(gateway.settings), hash_key=hash_key_from(gateway.settings)
    )


def anonymous_case(gateway: Gateway) -> IssuedCase:
    """An anonymous web report (contact method "none"), stored as the action server would."""
    settings = gateway.settings
    report = CaseIn(
        idempotency_key=f"follow-up-test-{uuid.uuid4().hex}",
        channel="web",
        reporter_type="self",
        what_happening="Something the reporter told the assistant.",
        contact_method="none",
    )
    with session_factory(settings)() as session:
        created = create_case(
            session,
            report,
            keys=keys_for(gateway),
            calendar=WorkingCalendar.from_profile(profile_for(settings)),
            alert_recipients=[],
            now=utcnow(),
        )
    assert created.follow_up_code
    return IssuedCase(created.case.id, created.case.reference, created.follow_up_code)


def team_replies(gateway: Gateway, case: IssuedCase, text: str) -> None:
    """A manager of the team answers from the case, through the casework service."""
    settings = gateway.settings
    keys = keys_for(gateway)
    with session_factory(settings)() as session:
        manager, _ = create_user(
            session,
            keys,
            email=f"manager-{uuid.uuid4().hex[:8]}@landlord.example",
            role="manager",
            password=f"a long test passphrase {uuid.uuid4().hex}",
            now=utcnow(),
        )
        desk = Desk(session, manager, utcnow(), keys.keyring, Auditor(keys.hash_key))
        staff_reply(desk, case.id, text)


def new_address() -> str:
    """An IPv6 documentation address (RFC 3849) of the test's own."""
    part = uuid.uuid4().hex
    return f"2001:db8:{part[:4]}:{part[4:8]}::{part[8:12]}"


def post(
    gateway: Gateway, path: str, body: object, *, address: str, content: bytes | None = None
) -> httpx.Response:
    headers = {**JSON, "x-forwarded-for": address}
    if content is None:
        content = json.dumps(body).encode()
    return httpx.post(gateway.url + path, content=content, headers=headers, timeout=10)


@pytest.fixture(scope="session")
def keyed_gateway(make_gateway) -> Gateway:
    """The gateway with its encryption and hash keys, so cases can be stored and found."""
    return make_gateway(master_keys=MASTER_KEYS, hash_key=HASH_KEY)


@pytest.fixture
def address() -> str:
    return new_address()


# ---------- the right code ----------


def test_the_right_code_shows_the_status_and_the_messages(
    keyed_gateway: Gateway, address: str
) -> None:
    case = anonymous_case(keyed_gateway)
    team_replies(keyed_gateway, case, "Thank you for telling us. We are here when you are ready.")

    response = post(keyed_gateway, LOOK_UP, {"code": case.code}, address=address)

    assert response.status_code == 200
    answer = response.json()
    assert answer["reference"] == case.reference
    assert answer["status"] == STATUS_WORDS["new"]
    [message] = answer["messages"]
    assert message["from"] == "team"
    assert message["text"] == "Thank you for telling us. We are here when you are ready."
    at = dt.datetime.fromisoformat(message["at"])
    assert at.tzinfo is not None and abs(utcnow() - at) < dt.timedelta(minutes=5)
    assert case.code not in response.text


def test_the_code_may_be_typed_in_small_letters_and_with_spaces(
    keyed_gateway: Gateway, address: str
) -> None:
    case = anonymous_case(keyed_gateway)
    typed = case.code.lower().replace("-", " ")
    response = post(keyed_gateway, LOOK_UP, {"code": typed}, address=address)
    assert response.status_code == 200
    assert response.json() == {
        "reference": case.reference,
        "status": STATUS_WORDS["new"],
        "messages": [],
    }


def test_a_message_from_the_reporter_is_stored_sealed_and_comes_back(
    keyed_gateway: Gateway, address: str
) -> None:
    case = anonymous_case(keyed_gateway)
    canary = f"CANARY-{uuid.uuid4().hex} he moved back in last week"

    response = post(keyed_gateway, SEND, {"code": case.code, "message": canary}, address=address)

    assert response.status_code == 200
    answer = response.json()
    assert answer["reference"] == case.reference
    assert [(m["from"], m["text"]) for m in answer["messages"]] == [("you", canary)]
    assert "emergency" not in answer

    again = post(keyed_gateway, LOOK_UP, {"code": case.code}, address=address).json()
    assert again["messages"] == answer["messages"]

    with session_factory(keyed_gateway.settings)() as session:
        [row] = session.scalars(
            select(FollowUpMessage).where(FollowUpMessage.case_id == case.id)
        ).all()
        assert row.from_reporter is True and row.author_id is None
        assert canary.encode() not in row.sealed_text

    db_path = Path(keyed_gateway.settings.var_dir) / "quietdoor.db"

    def raw_bytes() -> bytes:
        return b"".join(p.read_bytes() for p in db_path.parent.iterdir() if p.is_file())

    needles = [canary.encode(), canary.encode("utf-16-le"), case.code.encode()]
    before = raw_bytes()  # while the WAL still holds the new pages
    with sqlite3.connect(db_path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    after = raw_bytes()
    for needle in needles:
        assert needle not in before and needle not in after, needle


def test_messages_are_listed_in_order_with_who_wrote_them(
    keyed_gateway: Gateway, address: str
) -> None:
    case = anonymous_case(keyed_gateway)
    post(keyed_gateway, SEND, {"code": case.code, "message": "first"}, address=address)
    team_replies(keyed_gateway, case, "second, from the team")
    answer = post(keyed_gateway, SEND, {"code": case.code, "message": "third"}, address=address)
    assert [(m["from"], m["text"]) for m in answer.json()["messages"]] == [
        ("you", "first"),
        ("team", "second, from the team"),
        ("you", "third"),
    ]


def test_danger_words_are_stored_and_the_emergency_numbers_come_back(
    keyed_gateway: Gateway, address: str
) -> None:
    case = anonymous_case(keyed_gateway)
    text = "he said he is going to kill me"
    response = post(keyed_gateway, SEND, {"code": case.code, "message": text}, address=address)
    assert response.status_code == 200
    answer = response.json()
    assert "999" in answer["emergency"] and "55" in answer["emergency"]
    assert [m["text"] for m in answer["messages"]] == [text]


@pytest.mark.parametrize("word", ["exit", "Quick exit", "/exit"])
def test_an_exit_word_is_not_stored_and_tells_the_page_to_leave(
    keyed_gateway: Gateway, address: str, word: str
) -> None:
    case = anonymous_case(keyed_gateway)
    for path, body in ((SEND, {"code": case.code, "message": word}), (LOOK_UP, {"code": word})):
        response = post(keyed_gateway, path, body, address=address)
        assert response.status_code == 200
        assert response.json() == {"exit": True}
    shown = post(keyed_gateway, LOOK_UP, {"code": case.code}, address=address).json()
    assert shown["messages"] == []


# ---------- wrong, expired, throttled ----------


def expire(gateway: Gateway, case: IssuedCase) -> None:
    with session_factory(gateway.settings)() as session:
        session.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(follow_up_expires_at=utcnow() - dt.timedelta(days=1))
        )
        session.commit()


def test_a_wrong_code_and_an_expired_code_get_the_same_404(
    keyed_gateway: Gateway, address: str
) -> None:
    expired = anonymous_case(keyed_gateway)
    expire(keyed_gateway, expired)
    answers = [
        post(keyed_gateway, LOOK_UP, {"code": NEVER_ISSUED}, address=address),
        post(keyed_gateway, LOOK_UP, {"code": expired.code}, address=address),
        post(keyed_gateway, SEND, {"code": NEVER_ISSUED, "message": "hello"}, address=address),
        post(keyed_gateway, SEND, {"code": expired.code, "message": "hello"}, address=address),
    ]
    for response in answers:
        assert response.status_code == 404
        assert response.json() == WRONG_CODE
        assert response.headers["cache-control"] == "no-store"
    assert len({response.content for response in answers}) == 1
    with session_factory(keyed_gateway.settings)() as session:
        stored = session.scalars(
            select(FollowUpMessage).where(FollowUpMessage.case_id == expired.id)
        ).all()
    assert stored == []


def test_a_valid_code_works_from_an_address_that_failed_ten_or_more_other_codes(
    keyed_gateway: Gateway, address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One person behind a shared address (an office, a carrier's NAT) cannot block the rest."""
    case = anonymous_case(keyed_gateway)
    frozen = utcnow()
    monkeypatch.setattr(follow_up, "utcnow", lambda: frozen)
    for _ in range(throttle.WRONG_CODES.free):
        wrong = post(keyed_gateway, LOOK_UP, {"code": NEVER_ISSUED}, address=address)
        assert wrong.status_code == 404

    refused = post(keyed_gateway, LOOK_UP, {"code": NEVER_ISSUED}, address=address)
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Too many codes have been tried")
    assert refused.headers["retry-after"] == "1"  # the first wait, at the same instant
    assert refused.headers["cache-control"] == "no-store"

    for path, body in (
        (LOOK_UP, {"code": case.code}),
        (SEND, {"code": case.code, "message": "hello"}),
    ):
        answer = post(keyed_gateway, path, body, address=address)
        assert answer.status_code == 200 and answer.json()["reference"] == case.reference

    elsewhere = post(keyed_gateway, LOOK_UP, {"code": NEVER_ISSUED}, address=new_address())
    assert elsewhere.status_code == 404


def test_without_keys_the_answer_is_503(gateway: Gateway, address: str) -> None:
    response = post(gateway, LOOK_UP, {"code": NEVER_ISSUED}, address=address)
    assert response.status_code == 503
    assert "encryption keys" in response.json()["detail"]
    assert NEVER_ISSUED not in response.text


# ---------- bad input: a clear 4xx, never a 500, never echoed ----------


def dumps(**fields: object) -> bytes:
    return json.dumps(fields).encode()


BAD_LOOK_UPS = [
    ("malformed JSON", b'{"code": ', JSON, 400),
    ("empty body", b"", JSON, 400),
    ("not UTF-8", b'{"code": "caf\xe9"}', JSON, 400),
    ("form encoded", b"code=x", {"content-type": "application/x-www-form-urlencoded"}, 415),
    ("unknown field", dumps(code=NEVER_ISSUED, remember=True), JSON, 422),
    ("missing code", dumps(), JSON, 422),
    ("empty code", dumps(code=""), JSON, 422),
    ("code too long", dumps(code="A" * 41), JSON, 422),
    ("code not a string", dumps(code=22223333), JSON, 422),
    ("a list", b'["2222-3333-4444-5555"]', JSON, 422),
    ("lone surrogate", b'{"code": "\\ud800"}', JSON, 422),
    ("oversized body", dumps(code="A" * (MAX_BODY_BYTES + 1)), JSON, 413),
]

BAD_MESSAGES = [
    ("malformed JSON", b'{"code": "x", "message": ', JSON, 400),
    ("unknown field", dumps(code=NEVER_ISSUED, message="hi", sender="someone"), JSON, 422),
    ("missing message", dumps(code=NEVER_ISSUED), JSON, 422),
    ("empty message", dumps(code=NEVER_ISSUED, message=""), JSON, 422),
    ("only spaces", dumps(code=NEVER_ISSUED, message="   \n "), JSON, 422),
    ("message too long", dumps(code=NEVER_ISSUED, message="x" * 2001), JSON, 422),
    ("message not a string", dumps(code=NEVER_ISSUED, message=["hi"]), JSON, 422),
    ("lone surrogate", b'{"code": "2222", "message": "\\udc00"}', JSON, 422),
    ("oversized body", dumps(code=NEVER_ISSUED, message="x" * MAX_BODY_BYTES), JSON, 413),
]


@pytest.mark.parametrize(
    ("path", "content", "headers", "status"),
    [(LOOK_UP, *case[1:]) for case in BAD_LOOK_UPS] + [(SEND, *case[1:]) for case in BAD_MESSAGES],
    ids=[f"look-up {case[0]}" for case in BAD_LOOK_UPS]
    + [f"message {case[0]}" for case in BAD_MESSAGES],
)
def test_bad_input_gets_a_clear_4xx(
    keyed_gateway: Gateway, address: str, path: str, content: bytes, headers: dict, status: int
) -> None:
    response = httpx.post(
        keyed_gateway.url + path,
        content=content,
        headers={**headers, "x-forwarded-for": address},
        timeout=10,
    )
    assert response.status_code == status
    assert response.json()["detail"]
    assert response.headers["cache-control"] == "no-store"


def test_a_message_of_exactly_2000_characters_is_accepted(
    keyed_gateway: Gateway, address: str
) -> None:
    case = anonymous_case(keyed_gateway)
    body = {"code": case.code, "message": "é" * 2000}
    assert post(keyed_gateway, SEND, body, address=address).status_code == 200


def test_errors_never_echo_what_was_sent(keyed_gateway: Gateway, address: str) -> None:
    canary = "canary-5521"
    for path, body in (
        (LOOK_UP, {"code": canary * 10}),
        (LOOK_UP, {"code": canary, "extra": canary}),
        (SEND, {"code": canary, "message": canary * 300}),
        (SEND, {"code": canary, "message": canary}),
    ):
        response = post(keyed_gateway, path, body, address=address)
        assert 400 <= response.status_code < 500
        assert canary not in response.text


def test_get_is_not_a_way_in(keyed_gateway: Gateway) -> None:
    assert httpx.get(keyed_gateway.url + LOOK_UP).status_code in (404, 405)
    assert httpx.get(keyed_gateway.url + SEND).status_code in (404, 405)


# ---------- headers and logs ----------


def test_answers_are_never_stored_and_set_no_cookie(keyed_gateway: Gateway, address: str) -> None:
    case = anonymous_case(keyed_gateway)
    for response in (
        post(keyed_gateway, LOOK_UP, {"code": case.code}, address=address),
        post(keyed_gateway, SEND, {"code": case.code, "message": "hello"}, address=address),
        post(keyed_gateway, LOOK_UP, {"code": NEVER_ISSUED}, address=address),
    ):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "set-cookie" not in response.headers


def test_no_code_or_message_in_any_log_line(
    keyed_gateway: Gateway,
    gateway: Gateway,
    address: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    frozen = utcnow()  # every wrong code at one instant, so the last ones meet the backoff
    monkeypatch.setattr(follow_up, "utcnow", lambda: frozen)
    case = anonymous_case(keyed_gateway)
    canary = f"canary-{uuid.uuid4().hex[:8]} he has a knife"
    wrong = "ZZZZ-YYYY-XXXX-WWWW"
    post(keyed_gateway, LOOK_UP, {"code": case.code}, address=address)
    post(keyed_gateway, SEND, {"code": case.code, "message": canary}, address=address)
    post(keyed_gateway, LOOK_UP, {"code": wrong}, address=address)
    post(keyed_gateway, SEND, {"code": wrong, "message": canary}, address=address)
    post(keyed_gateway, SEND, {"code": case.code, "message": canary * 200}, address=address)
    post(gateway, LOOK_UP, {"code": case.code}, address=address)  # keys missing
    for _ in range(10):
        post(keyed_gateway, LOOK_UP, {"code": wrong}, address=address)  # until throttled

    def text(records: list[logging.LogRecord]) -> str:
        return "\n".join(f"{r.getMessage()} {r.args} {r.exc_text or ''}" for r in records)

    logged = text(caplog.records)
    for secret in (case.code, case.code.replace("-", ""), wrong, wrong.replace("-", "")):
        assert secret not in logged, secret
    assert canary.split()[0] not in logged
    # The address is only throttled on (as a keyed hash); the gateway's own lines never name it.
    assert address not in text([r for r in caplog.records if r.name != "uvicorn.access"])
    assert any("too many wrong codes" in r.getMessage() for r in caplog.records)
