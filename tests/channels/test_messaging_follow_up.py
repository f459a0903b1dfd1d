"""Follow-up over SMS and Telegram: a code sent back shows the status and the team's news once.

Cases are made with the case service against the gateway's own database and answered by a
manager through the casework service (`test_follow_up_api`); the person writes as Twilio and
Telegram deliver (`test_twilio`, `test_telegram`). Every test texts from a number or chat of its
own, so one test's wrong codes never throttle another's.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from pathlib import Path

import pytest
from channel_standins import Gateway, StandInRasa
from messaging_standins import StandInTelegram, StandInTwilio, text_update, wait_for
from sqlalchemy import update
from test_follow_up_api import (
    LOOK_UP,
    NEVER_ISSUED,
    IssuedCase,
    anonymous_case,
    expire,
    keys_for,
    new_address,
    post,
    team_replies,
)
from test_telegram import new_chat, post_ok, sent_texts
from test_telegram import pseudonym as telegram_pseudonym
from test_twilio import new_number, pseudonym, say

from api.cases.codes import new_follow_up_code
from api.cases.models import Case
from api.casework.follow_up import STATUS_WORDS, reporter_view
from api.db import session_factory, utcnow
from channels.messaging import contacts, texts
from channels.messaging.follow_up import looks_like_code, message_to_team
from channels.messaging.models import MessagingContact

LINES = texts.DEFAULTS
WAITING = LINES["follow_up_status_new"]
REPLY_HOW = LINES["follow_up_reply_how"].format(minutes=10)
WRONG = LINES["follow_up_wrong_code"]
SENT = LINES["follow_up_reply_sent"]
#: What must never reach a phone in these lines (the thread stays on it).
REVEALING = ("abuse", "police", "danger", "violence", "refuge", "safeguard", "domestic", "report")


def update_line(case: IssuedCase, status: str = WAITING) -> str:
    return f"Update on your message to the team (ref {case.reference}): {status}"


def team_wrote(text: str) -> str:
    return f":\n{text}"


def reporter_messages(gateway: Gateway, case: IssuedCase) -> list[str]:
    """What the reporter has written on the case, through the case service."""
    keys = keys_for(gateway)
    with session_factory(gateway.settings)() as session:
        view = reporter_view(
            session, keys.keyring, keys.hash_key, code=case.code, address="test", now=utcnow()
        )
    return [message.text for message in view.messages if message.from_reporter]


def raw_database(gateway: Gateway) -> bytes:
    """Every byte of the database files, before and after the WAL is folded in."""
    db_path = Path(gateway.settings.var_dir) / "quietdoor.db"

    def raw_bytes() -> bytes:
        return b"".join(p.read_bytes() for p in db_path.parent.iterdir() if p.is_file())

    before = raw_bytes()
    with sqlite3.connect(db_path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return before + raw_bytes()


def code_forms(code: str) -> list[str]:
    compact = code.replace("-", "")
    return [code, compact, code.lower(), compact.lower()]


def assert_no_trace(code: str, gateway: Gateway, records: list[logging.LogRecord]) -> None:
    """Neither a log line nor a byte of the database holds the code in any form."""
    logged = "\n".join(f"{r.getMessage()} {r.args} {r.exc_text or ''}" for r in records)
    stored = raw_database(gateway)
    for form in code_forms(code):
        assert form not in logged, form
        assert form.encode() not in stored and form.encode("utf-16-le") not in stored, form


# ---------- the right code ----------


def test_a_code_sent_back_by_sms_shows_the_status_and_a_new_team_message_once(
    messaging_gateway: Gateway, rasa: StandInRasa
) -> None:
    case = anonymous_case(messaging_gateway)
    team_replies(messaging_gateway, case, "We have read your message. We are here for you.")
    number = new_number()

    first = say(messaging_gateway, case.code, number)

    assert "delete this conversation" in first[0]  # a new contact: the advice first
    assert first[1] == update_line(case)
    assert first[2].startswith("The team wrote at ")
    assert first[2].endswith(team_wrote("We have read your message. We are here for you."))
    assert first[3:] == [REPLY_HOW]

    again = say(messaging_gateway, case.code.lower().replace("-", " "), number)
    assert again == [f"{update_line(case)}\n{LINES['follow_up_nothing_new']}", REPLY_HOW]

    team_replies(messaging_gateway, case, "Is Thursday morning a good time?")
    third = say(messaging_gateway, case.code.replace("-", ""), number)
    assert len(third) == 3
    assert third[1].endswith(team_wrote("Is Thursday morning a good time?"))
    assert rasa.sent_by(pseudonym(messaging_gateway, number)) == []  # Rasa never sees a code


def test_a_code_sent_back_by_telegram_shows_the_status_and_a_new_team_message_once(
    messaging_gateway: Gateway, telegram_api: StandInTelegram, rasa: StandInRasa
) -> None:
    case = anonymous_case(messaging_gateway)
    team_replies(messaging_gateway, case, "Thank you for getting in touch.")
    chat = new_chat()

    post_ok(messaging_gateway, text_update(chat, case.code))
    first = sent_texts(telegram_api, chat)
    assert "/exit" in first[0]
    assert first[1:3] == [update_line(case), first[2]]
    assert first[2].endswith(team_wrote("Thank you for getting in touch."))
    assert first[3:] == [REPLY_HOW]

    post_ok(messaging_gateway, text_update(chat, " ".join(case.code.lower().split("-"))))
    again = sent_texts(telegram_api, chat)[len(first) :]
    assert again == [f"{update_line(case)}\n{LINES['follow_up_nothing_new']}", REPLY_HOW]
    assert sum("Thank you for getting in touch." in text for text in first + again) == 1
    # the last message carries the Exit button, as every answer does
    last = telegram_api.called("sendMessage", chat)[-1]
    assert last["reply_markup"]["inline_keyboard"][-1][0]["callback_data"] == "qd:exit"
    assert rasa.sent_by(telegram_pseudonym(messaging_gateway, chat)) == []


def test_the_status_follows_the_case_in_discreet_words(messaging_gateway: Gateway) -> None:
    case = anonymous_case(messaging_gateway)
    with session_factory(messaging_gateway.settings)() as session:
        session.execute(update(Case).where(Case.id == case.id).values(status="support_plan"))
        session.commit()
    replies = say(messaging_gateway, case.code, new_number())
    assert replies[1].startswith(update_line(case, LINES["follow_up_status_support_plan"]))


def test_messages_seen_on_the_web_page_are_not_sent_again_by_text(
    messaging_gateway: Gateway,
) -> None:
    case = anonymous_case(messaging_gateway)
    team_replies(messaging_gateway, case, "Seen on the web page first.")
    web = post(messaging_gateway, LOOK_UP, {"code": case.code}, address=new_address())
    assert web.status_code == 200
    assert [m["text"] for m in web.json()["messages"]] == ["Seen on the web page first."]

    replies = say(messaging_gateway, case.code, new_number())
    assert LINES["follow_up_nothing_new"] in replies[1]
    assert not any("Seen on the web page first." in text for text in replies)


# ---------- REPLY ----------


def test_reply_after_the_code_reaches_the_team_and_not_rasa(
    messaging_gateway: Gateway, rasa: StandInRasa
) -> None:
    case = anonymous_case(messaging_gateway)
    number = new_number()
    say(messaging_gateway, case.code, number)

    assert say(messaging_gateway, "REPLY Thursday is fine, after 10am.", number) == [SENT]
    assert say(messaging_gateway, "reply: thank you", number) == [SENT]

    assert reporter_messages(messaging_gateway, case) == [
        "Thursday is fine, after 10am.",
        "thank you",
    ]
    assert rasa.sent_by(pseudonym(messaging_gateway, number)) == []


def test_reply_with_danger_words_brings_the_numbers_at_once_and_still_reaches_the_team(
    messaging_gateway: Gateway, twilio_api: StandInTwilio
) -> None:
    case = anonymous_case(messaging_gateway)
    number = new_number()
    say(messaging_gateway, case.code, number)

    [numbers] = say(messaging_gateway, "REPLY he came back and has a knife", number)

    assert numbers.startswith("If you need help now, call 999.")
    assert wait_for(lambda: twilio_api.sent_to(number) == [SENT])
    assert reporter_messages(messaging_gateway, case) == ["he came back and has a knife"]


def test_reply_shows_what_the_team_wrote_since_the_check(messaging_gateway: Gateway) -> None:
    case = anonymous_case(messaging_gateway)
    number = new_number()
    say(messaging_gateway, case.code, number)
    team_replies(messaging_gateway, case, "Written while you were typing.")

    replies = say(messaging_gateway, "REPLY ok", number)

    assert replies[0] == SENT
    assert replies[1].endswith(team_wrote("Written while you were typing."))


def test_reply_without_a_recent_code_asks_for_the_code_and_stores_nothing(
    messaging_gateway: Gateway, rasa: StandInRasa
) -> None:
    case = anonymous_case(messaging_gateway)
    number = new_number()
    say(messaging_gateway, case.code, number)
    contact = pseudonym(messaging_gateway, number)
    with session_factory(messaging_gateway.settings)() as session:
        session.execute(
            update(MessagingContact)
            .where(MessagingContact.pseudonym == contact)
            .values(follow_up_until=utcnow() - dt.timedelta(seconds=1))
        )
        session.commit()

    assert say(messaging_gateway, "REPLY too late?", number) == [
        LINES["follow_up_reply_needs_code"]
    ]
    stranger = new_number()
    assert (
        say(messaging_gateway, "REPLY never checked", stranger)[-1]
        == (LINES["follow_up_reply_needs_code"])
    )
    assert reporter_messages(messaging_gateway, case) == []
    assert rasa.sent_by(contact) == []
    assert rasa.sent_by(pseudonym(messaging_gateway, stranger)) == []

    # the inbox worker's tidy-up clears the held code once its minutes are over
    with session_factory(messaging_gateway.settings)() as session:
        assert contacts.clear_follow_up_codes(session, now=utcnow()) >= 1
        row = session.get(MessagingContact, contact)
        assert row is not None
        assert row.sealed_follow_up_code is None and row.follow_up_until is None


# ---------- a wrong code ----------


def test_a_wrong_or_expired_code_gets_one_neutral_answer_and_leaves_no_trace(
    messaging_gateway: Gateway, rasa: StandInRasa, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    expired = anonymous_case(messaging_gateway)
    expire(messaging_gateway, expired)
    number = new_number()

    answers = [
        say(messaging_gateway, NEVER_ISSUED, number)[-1],
        say(messaging_gateway, expired.code, number)[-1],
        say(messaging_gateway, NEVER_ISSUED.lower().replace("-", " "), number)[-1],
        say(messaging_gateway, "ABCD-EFGH-JKMN-PQR0", number)[-1],  # a near miss counts too
    ]
    assert answers == [WRONG] * 4
    assert rasa.sent_by(pseudonym(messaging_gateway, number)) == []

    for code in (NEVER_ISSUED, expired.code, "ABCD-EFGH-JKMN-PQR0"):
        assert_no_trace(code, messaging_gateway, caplog.records)


def test_the_right_code_is_held_only_sealed_and_never_logged(
    messaging_gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    case = anonymous_case(messaging_gateway)
    number = new_number()
    say(messaging_gateway, case.code, number)
    say(messaging_gateway, "REPLY a message for the team", number)

    with session_factory(messaging_gateway.settings)() as session:
        row = session.get(MessagingContact, pseudonym(messaging_gateway, number))
        assert row is not None and row.sealed_follow_up_code is not None
    assert_no_trace(case.code, messaging_gateway, caplog.records)


def test_a_valid_code_works_from_a_contact_that_sent_ten_wrong_ones(
    messaging_gateway: Gateway,
) -> None:
    case = anonymous_case(messaging_gateway)
    number = new_number()
    for _ in range(11):  # the eleventh meets the backoff: the same neutral answer
        assert say(messaging_gateway, NEVER_ISSUED, number)[-1] == WRONG
    # the throttle answers wrong codes only: the right one, from this number, still works
    replies = say(messaging_gateway, case.code, number)
    assert any(reply.startswith(update_line(case)) for reply in replies), replies


# ---------- what counts as a code, or as a message to the team ----------


def test_every_issued_code_is_recognised_however_it_is_typed() -> None:
    for _ in range(200):
        code = new_follow_up_code()
        compact = code.replace("-", "")
        for typed in (code, code.lower(), compact, " ".join(code.split("-")), f" {code}\n"):
            assert looks_like_code(typed), typed


@pytest.mark.parametrize(
    "text",
    [
        "ABCD-EFGH-JKMN-PQR0",  # O and 0, I and 1 are never issued but a near miss still counts
        "abcd efgh jkmn pqr5",
        "ABCDEFGHJKMNPQRS",
        "ABCD EFGH JKMN PQRS",
        "ABCDEFGH-JKMNPQRS",
        "1234 5678 9012 3456",  # never issued (nor a thing to tell Rasa)
    ],
)
def test_near_misses_count_as_codes_so_rasa_never_reads_them(text: str) -> None:
    assert looks_like_code(text)


@pytest.mark.parametrize(
    "text",
    [
        "they want back rent",
        "responsibilities",
        "07700 900123",
        "ABCD-EFGH-JKMN",
        "ABCD-EFGH-JKMN-PQRS-TUVW",
        "ABC-DEFGH-JKMN-PQRS",
        "my code is ABCD-EFGH-JKMN-PQRS",
        "flat 12 block 4",
        "",
    ],
)
def test_ordinary_messages_are_not_codes(text: str) -> None:
    assert not looks_like_code(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("REPLY thank you", "thank you"),
        ("reply: Thursday is fine", "Thursday is fine"),
        ("Reply - ok", "ok"),
        ("REPLY", ""),
        ("Reply EXIT", None),  # our own instructions, copied: not a message to the team
        ("reply plain", None),
        ("replying later", None),
        ("I will reply later", None),
    ],
)
def test_a_message_to_the_team_starts_with_reply(text: str, message: str | None) -> None:
    assert message_to_team(text) == message


# ---------- the wording ----------


def test_every_case_status_has_a_discreet_line() -> None:
    for status in STATUS_WORDS:
        assert LINES[f"follow_up_status_{status}"]


def test_no_gateway_line_carries_a_revealing_word() -> None:
    for key, line in LINES.items():
        for word in REVEALING:
            assert word not in line.lower(), (key, word)
