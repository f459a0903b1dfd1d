"""The web chat never makes a person wait on Rasa: the emergency answer and quick exit come at
once, an ordinary message gets a holding reply, and Rasa's late replies arrive once, in order.

Against a stand-in Rasa of this module's own that a test can pause (as SIGSTOP would) and resume.
No timed assertions: "at once" is checked as "answered while Rasa was still paused".
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from channel_standins import (
    RASA_TOKEN,
    ServerThread,
    StandInRasa,
    closed_port_url,
    collect,
    eventually,
    gateway_app,
    late_replies,
)

from api.settings import Settings
from channels.web import pending

WAIT_SECONDS = 2.0


@pytest.fixture(scope="module")
def own_rasa() -> Iterator[tuple[StandInRasa, ServerThread]]:
    rasa = StandInRasa()
    server = ServerThread(rasa.app()).start()
    yield rasa, server
    server.stop()


@pytest.fixture
def rasa(own_rasa: tuple[StandInRasa, ServerThread]) -> Iterator[StandInRasa]:
    own_rasa[0].reset()
    yield own_rasa[0]
    own_rasa[0].resume()


def _gateway(tmp: Path, org_dir: Path, rasa_url: str) -> ServerThread:
    settings = Settings(
        var_dir=tmp,
        org="stonewater",
        org_dir=org_dir,
        rasa_url=rasa_url,
        rasa_token=RASA_TOKEN,
        actions_url=rasa_url,
        rasa_timeout_seconds=30.0,
        chat_wait_seconds=WAIT_SECONDS,
        service_token="stand-in-service-token",
    )
    return ServerThread(gateway_app(settings)).start()


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory,
    org_dir: Path,
    own_rasa: tuple[StandInRasa, ServerThread],
) -> Iterator[str]:
    server = _gateway(tmp_path_factory.mktemp("var"), org_dir, own_rasa[1].url)
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def gateway_rasa_down(tmp_path_factory: pytest.TempPathFactory, org_dir: Path) -> Iterator[str]:
    server = _gateway(tmp_path_factory.mktemp("var"), org_dir, closed_port_url())
    yield server.url
    server.stop()


@pytest.fixture
def sender() -> str:
    return f"test-{uuid.uuid4().hex}"


def say(gateway: str, sender: str, message: str) -> list[dict]:
    answer = httpx.post(
        f"{gateway}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=30
    )
    assert answer.status_code == 200
    return answer.json()


def quick_exit(gateway: str, sender: str) -> int:
    return httpx.post(f"{gateway}/chat/exit", json={"sender": sender}, timeout=10).status_code


def kinds(replies: list[dict]) -> list[str | None]:
    return [(r.get("custom") or {}).get("quietdoor") for r in replies]


def texts(replies: list[dict]) -> list[str]:
    return [r["text"] for r in replies]


# ---------- the emergency answer never waits ----------


def test_emergency_is_answered_while_rasa_is_paused_and_rasas_reply_follows_once(
    gateway: str, rasa: StandInRasa, sender: str
) -> None:
    rasa.pause()
    replies = say(gateway, sender, "he has a knife")
    assert not rasa.running.is_set()
    assert kinds(replies) == ["emergency"]
    assert "999" in replies[0]["text"] and "55" in replies[0]["text"]
    assert "0808 2000 247" in replies[0]["text"]
    assert replies[0]["custom"]["pending"] is True
    assert collect(gateway, sender) == {"replies": [], "pending": True}

    rasa.resume()
    assert texts(late_replies(gateway, sender)) == ["Echo: he has a knife"]
    assert collect(gateway, sender) == {"replies": [], "pending": False}
    assert rasa.sent_by(sender) == ["he has a knife"]


def test_the_danger_button_is_answered_at_once(
    gateway: str, rasa: StandInRasa, sender: str
) -> None:
    rasa.pause()
    assert kinds(say(gateway, sender, "/emergency")) == ["emergency"]
    rasa.resume()
    assert texts(late_replies(gateway, sender)) == ["Echo: /emergency"]


def test_rasas_own_emergency_answer_is_not_shown_twice(
    gateway: str, rasa: StandInRasa, sender: str
) -> None:
    replies = say(gateway, sender, "[rasa-emergency] he has a knife")
    later = late_replies(gateway, sender)
    assert kinds(replies) == ["emergency"]
    assert texts(later) == ["Are you safe to keep talking?"]


@pytest.mark.parametrize(
    "rasas_answer",
    [
        [{"text": "Rasa's 999 text."}, {"custom": {"quietdoor": "emergency"}}],
        [{"text": "Rasa's 999 text.", "custom": {"quietdoor": "emergency"}}],
    ],
    ids=["marker as its own item", "marker with the text"],
)
def test_rasas_emergency_text_goes_with_its_marker(rasas_answer: list[dict]) -> None:
    after = {"text": "I'm still here."}
    assert pending.without_kind([*rasas_answer, after], "emergency") == [after]
    assert pending.without_kind([*rasas_answer, after], None) == [*rasas_answer, after]


def test_late_replies_come_first_in_the_next_answer_in_order(
    gateway: str, rasa: StandInRasa, sender: str
) -> None:
    rasa.pause()
    say(gateway, sender, "he has a knife")
    holding = say(gateway, sender, "first")
    assert kinds(holding) == ["waiting", "emergency"]
    rasa.resume()
    replies = say(gateway, sender, "second")
    assert texts(replies) == ["Echo: he has a knife", "Echo: first", "Echo: second"]
    assert late_replies(gateway, sender) == []
    assert rasa.sent_by(sender) == ["he has a knife", "first", "second"]


def test_rasa_failing_after_the_answer_leaves_an_honest_line(
    gateway: str, rasa: StandInRasa, sender: str
) -> None:
    assert kinds(say(gateway, sender, "[fail] he has a knife")) == ["emergency"]
    [line] = late_replies(gateway, sender)
    assert kinds([line]) == ["unavailable"]
    assert "not been saved" in line["text"] and "send your last message again" in line["text"]


# ---------- no long silences ----------


def test_an_ordinary_message_gets_a_holding_reply_and_the_answer_later(
    gateway: str, rasa: StandInRasa, sender: str
) -> None:
    rasa.pause()
    replies = say(gateway, sender, "hello")
    assert not rasa.running.is_set()
    assert kinds(replies) == ["waiting", "emergency"]
    assert "will appear here" in replies[0]["text"]
    assert replies[0]["custom"]["pending"] is True
    assert "999" in replies[1]["text"] and "0808 2000 247" in replies[1]["text"]

    rasa.resume()
    assert texts(late_replies(gateway, sender)) == ["Echo: hello"]
    assert rasa.sent_by(sender) == ["hello"]


def test_an_answer_in_time_is_given_whole_and_nothing_is_kept(
    gateway: str, rasa: StandInRasa, sender: str
) -> None:
    assert say(gateway, sender, "hello") == [{"recipient_id": sender, "text": "Echo: hello"}]
    assert collect(gateway, sender) == {"replies": [], "pending": False}


def test_too_many_messages_waiting_get_the_safety_net(
    gateway: str, rasa: StandInRasa, sender: str
) -> None:
    rasa.pause()
    for _ in range(pending.MAX_TURNS_PER_SENDER):
        say(gateway, sender, "he has a knife")
    replies = say(gateway, sender, "hello")
    assert kinds(replies) == ["unavailable", "emergency"]
    rasa.resume()
    assert len(late_replies(gateway, sender)) == pending.MAX_TURNS_PER_SENDER
    assert rasa.sent_by(sender) == ["he has a knife"] * pending.MAX_TURNS_PER_SENDER


def test_rasa_down_still_gets_todays_safety_net(gateway_rasa_down: str, sender: str) -> None:
    replies = say(gateway_rasa_down, sender, "hello")
    assert kinds(replies) == ["unavailable", "emergency"]
    assert "Try again" in replies[0]["text"]


# ---------- quick exit never waits ----------


def test_exit_answers_while_rasa_is_paused_and_the_wipe_follows(
    gateway: str, rasa: StandInRasa, sender: str
) -> None:
    typed = f"{sender}-typed"
    rasa.pause()
    assert quick_exit(gateway, sender) == 204
    assert kinds(say(gateway, typed, "exit")) == ["exit"]
    assert not rasa.running.is_set()
    assert not rasa.wiped(sender) and not rasa.wiped(typed)
    rasa.resume()
    eventually(lambda: rasa.wiped(sender) and rasa.wiped(typed), "no wipe after Rasa came back")
    wipes = sorted((who, token) for who, token, _ in rasa.wipes)
    assert wipes == sorted([(sender, RASA_TOKEN), (typed, RASA_TOKEN)])


def test_exit_drops_late_replies_and_nothing_comes_back(
    gateway: str, rasa: StandInRasa, sender: str
) -> None:
    rasa.pause()
    say(gateway, sender, "he has a knife")  # Rasa is reading it
    say(gateway, sender, "he has a gun")  # waiting its turn
    assert quick_exit(gateway, sender) == 204
    rasa.resume()
    eventually(lambda: rasa.wiped(sender), "no wipe after Rasa came back")
    assert rasa.sent_by(sender) == ["he has a knife"]
    paths = [r.raw_path for r in rasa.requests]
    assert paths == ["/webhooks/gateway/webhook", f"/conversations/{sender}/tracker/events"]
    assert collect(gateway, sender) == {"replies": [], "pending": False}
    assert texts(say(gateway, sender, "hello again")) == ["Echo: hello again"]


def test_a_wipe_that_cannot_be_done_is_logged_without_content(
    gateway_rasa_down: str,
    sender: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pending, "WIPE_RETRY_DELAYS", (0.01, 0.01))
    caplog.set_level(logging.INFO, logger="quietdoor.channels.web")
    assert quick_exit(gateway_rasa_down, sender) == 204

    def given_up() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "not wiped" in r.getMessage()]

    eventually(given_up, "the failed wipe was not logged")
    attempts = [r for r in caplog.records if "wipe attempt" in r.getMessage()]
    assert len(attempts) == 3
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert sender not in logged and RASA_TOKEN not in logged


# ---------- /healthz ----------


def test_healthz_answers_while_rasa_hangs(gateway: str, rasa: StandInRasa) -> None:
    rasa.pause()
    response = httpx.get(f"{gateway}/healthz", timeout=10)
    assert not rasa.running.is_set()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "rasa": "down", "action_server": "ok"}
