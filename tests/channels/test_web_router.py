"""The web chat endpoint against a stand-in Rasa, over real HTTP."""

from __future__ import annotations

import json
import logging
import socket
import time
import uuid

import httpx
import pytest
from channel_standins import NO_MODEL_TOKEN, Gateway, StandInRasa, closed_port_url

from channels.request_body import MAX_BODY_BYTES
from channels.web.headers import CONTENT_SECURITY_POLICY

JSON = {"content-type": "application/json"}


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex}"


def post(gateway: Gateway, body: object, path: str = "/webhooks/rest/webhook") -> httpx.Response:
    return httpx.post(gateway.url + path, json=body, timeout=10)


def kinds(replies: list[dict]) -> list[str | None]:
    return [(r.get("custom") or {}).get("quietdoor") for r in replies]


def wiped_soon(rasa: StandInRasa, sender: str) -> list[tuple]:
    """The wipes Rasa got for `sender`, once there is one (the wipe runs in the background)."""
    deadline = time.monotonic() + 20
    while not rasa.wiped(sender):
        assert time.monotonic() < deadline, "the stand-in Rasa never got the wipe"
        time.sleep(0.02)
    return [w for w in rasa.wipes if w[0] == sender]


def late_replies(gateway: Gateway, sender: str) -> list[dict]:
    """What the page collects from POST /chat/pending once nothing more is on its way."""
    replies: list[dict] = []
    deadline = time.monotonic() + 20
    while True:
        answer = post(gateway, {"sender": sender}, path="/chat/pending").json()
        replies += answer["replies"]
        if not answer["pending"]:
            return replies
        assert time.monotonic() < deadline, "late replies never finished"
        time.sleep(0.02)


# ---------- forwarding, exit, emergency ----------


def test_a_message_is_forwarded_and_rasas_replies_returned(
    gateway: Gateway, rasa: StandInRasa
) -> None:
    sender = new_sender()
    response = post(gateway, {"sender": sender, "message": "hello there"})
    assert response.status_code == 200
    assert response.json() == [{"recipient_id": sender, "text": "Echo: hello there"}]
    assert rasa.sent_by(sender) == ["hello there"]


def test_buttons_from_rasa_are_passed_through(gateway: Gateway) -> None:
    sender = new_sender()
    replies = post(gateway, {"sender": sender, "message": "/greet"}).json()
    assert [b["payload"] for b in replies[0]["buttons"]] == ["/affirm", "/deny"]


@pytest.mark.parametrize("word", ["exit", "/exit", "Quick exit", "EXIT NOW"])
def test_an_exit_word_wipes_the_conversation_and_is_never_sent_to_rasa(
    gateway: Gateway, rasa: StandInRasa, word: str
) -> None:
    sender = new_sender()
    post(gateway, {"sender": sender, "message": "something private"})
    response = post(gateway, {"sender": sender, "message": word})
    assert response.status_code == 200
    replies = response.json()
    assert len(replies) == 1
    assert replies[0]["custom"] == {"quietdoor": "exit"}
    assert replies[0]["recipient_id"] == sender
    assert rasa.sent_by(sender) == ["something private"]
    assert wiped_soon(rasa, sender) == [(sender, "stand-in-rasa-token", [])]


def test_exit_inside_a_sentence_is_forwarded(gateway: Gateway, rasa: StandInRasa) -> None:
    sender = new_sender()
    replies = post(gateway, {"sender": sender, "message": "is there a fire exit"}).json()
    assert kinds(replies) == [None]
    assert rasa.sent_by(sender) == ["is there a fire exit"]
    assert not rasa.wiped(sender)


def test_emergency_words_put_the_emergency_message_first_exactly_once(
    gateway: Gateway, rasa: StandInRasa
) -> None:
    sender = new_sender()
    replies = post(gateway, {"sender": sender, "message": "he has a knife"}).json()
    assert kinds(replies) == ["emergency"]
    assert "999" in replies[0]["text"] and "55" in replies[0]["text"]
    assert "0808 2000 247" in replies[0]["text"]
    assert [r["text"] for r in late_replies(gateway, sender)] == ["Echo: he has a knife"]
    assert rasa.sent_by(sender) == ["he has a knife"]


def test_rasas_own_emergency_reply_is_not_doubled(gateway: Gateway) -> None:
    sender = new_sender()
    replies = post(gateway, {"sender": sender, "message": "[rasa-emergency] he has a knife"}).json()
    later = late_replies(gateway, sender)
    assert kinds(replies + later).count("emergency") == 1
    assert [r["text"] for r in later] == ["Are you safe to keep talking?"]


@pytest.mark.parametrize("text", ["I need an emergency repair", "boiler emergency", "gas leak"])
def test_housing_emergencies_get_no_emergency_message(gateway: Gateway, text: str) -> None:
    replies = post(gateway, {"sender": new_sender(), "message": text}).json()
    assert "emergency" not in kinds(replies)


# ---------- safety net (SECURITY.md 17) ----------


def assert_safety_net(replies: list[dict], *, emergency_first: bool) -> None:
    assert sorted(kinds(replies)) == ["emergency", "unavailable"]
    assert kinds(replies)[0] == ("emergency" if emergency_first else "unavailable")
    by_kind = {r["custom"]["quietdoor"]: r["text"] for r in replies}
    assert "999" in by_kind["emergency"] and "0808 2000 247" in by_kind["emergency"]
    assert "not been saved" in by_kind["unavailable"]
    assert "Try again" in by_kind["unavailable"]


def test_rasa_down_still_answers_with_numbers_and_says_nothing_was_saved(
    gateway_rasa_down: Gateway,
) -> None:
    response = post(gateway_rasa_down, {"sender": new_sender(), "message": "hello"})
    assert response.status_code == 200
    assert_safety_net(response.json(), emergency_first=False)
    assert "message box" in response.json()[0]["text"]


def test_rasa_down_with_emergency_words_gives_the_numbers_at_once_then_says_so(
    gateway_rasa_down: Gateway,
) -> None:
    sender = new_sender()
    replies = post(gateway_rasa_down, {"sender": sender, "message": "he is choking me"}).json()
    assert kinds(replies) == ["emergency"]
    assert "999" in replies[0]["text"] and "0808 2000 247" in replies[0]["text"]
    [later] = late_replies(gateway_rasa_down, sender)
    assert kinds([later]) == ["unavailable"]
    assert "not been saved" in later["text"]


def test_rasa_error_gets_the_safety_net(gateway: Gateway, rasa: StandInRasa) -> None:
    sender = new_sender()
    response = post(gateway, {"sender": sender, "message": "[fail] hello"})
    assert response.status_code == 200
    assert_safety_net(response.json(), emergency_first=False)
    assert rasa.sent_by(sender) == ["[fail] hello"]


def test_rasa_too_slow_gets_the_safety_net(make_gateway) -> None:
    impatient = make_gateway(rasa_timeout_seconds=0.5)
    response = post(impatient, {"sender": new_sender(), "message": "[slow] hello"})
    assert response.status_code == 200
    assert_safety_net(response.json(), emergency_first=False)


def test_rasa_slower_than_the_wait_gets_a_holding_reply_then_the_answer(make_gateway) -> None:
    sender, hurried = new_sender(), make_gateway(chat_wait_seconds=0.5)
    replies = post(hurried, {"sender": sender, "message": "[slow] hello"}).json()
    assert kinds(replies) == ["waiting", "emergency"]
    assert "999" in replies[1]["text"] and "0808 2000 247" in replies[1]["text"]
    assert [r["text"] for r in late_replies(hurried, sender)] == ["Echo: [slow] hello"]


def test_exit_word_still_exits_when_rasa_is_down(gateway_rasa_down: Gateway) -> None:
    replies = post(gateway_rasa_down, {"sender": new_sender(), "message": "exit"}).json()
    assert kinds(replies) == ["exit"]


# ---------- /chat/exit ----------


def test_chat_exit_wipes_the_conversation(gateway: Gateway, rasa: StandInRasa) -> None:
    sender = new_sender()
    response = post(gateway, {"sender": sender}, path="/chat/exit")
    assert response.status_code == 204
    assert wiped_soon(rasa, sender) == [(sender, "stand-in-rasa-token", [])]


def test_chat_exit_answers_at_once_when_rasa_is_down(gateway_rasa_down: Gateway) -> None:
    response = post(gateway_rasa_down, {"sender": new_sender()}, path="/chat/exit")
    assert response.status_code == 204


@pytest.mark.parametrize(
    "body",
    [{}, {"sender": "short"}, {"sender": "a/b/c/d/e/f"}, {"sender": new_sender(), "message": "x"}],
)
def test_chat_exit_refuses_bad_bodies(gateway: Gateway, body: dict) -> None:
    assert post(gateway, body, path="/chat/exit").status_code == 422
    assert post(gateway, body, path="/chat/pending").status_code == 422


# ---------- bad input: a clear 4xx, never a 500 (SECURITY.md 16) ----------


def raw(gateway: Gateway, content: bytes, headers: dict | None = None) -> httpx.Response:
    return httpx.post(
        gateway.url + "/webhooks/rest/webhook", content=content, headers=headers or JSON, timeout=10
    )


def body(sender: str = "valid-sender-1", message: object = "hello", **extra: object) -> bytes:
    return json.dumps({"sender": sender, "message": message, **extra}).encode()


BAD_BODIES = [
    ("malformed JSON", b'{"sender": "valid-sender-1", "message": ', JSON, 400),
    ("empty body", b"", JSON, 400),
    ("not UTF-8", b'{"sender": "valid-sender-1", "message": "caf\xe9"}', JSON, 400),
    ("UTF-16", body().decode().encode("utf-16"), JSON, 400),
    ("latin-1 charset", body(), {"content-type": "application/json; charset=latin-1"}, 415),
    (
        "form encoded",
        b"sender=x&message=y",
        {"content-type": "application/x-www-form-urlencoded"},
        415,
    ),
    ("no content type", body(), {"content-type": ""}, 415),
    ("unknown field", body(extra_field=1), JSON, 422),
    ("missing message", json.dumps({"sender": "valid-sender-1"}).encode(), JSON, 422),
    ("message too long", body(message="x" * 2001), JSON, 422),
    ("empty message", body(message=""), JSON, 422),
    ("message not a string", body(message=42), JSON, 422),
    ("message is an object", body(message={"text": "hi"}), JSON, 422),
    ("sender too short", body(sender="abc"), JSON, 422),
    ("sender too long", body(sender="a" * 65), JSON, 422),
    ("sender with a slash", body(sender="../../status"), JSON, 422),
    ("sender with a space", body(sender="sender with space"), JSON, 422),
    ("sender not a string", body(sender=12345678), JSON, 422),
    ("sender in an SMS conversation's form", body(sender="sms-" + "3f" * 20), JSON, 422),
    ("sender in a WhatsApp conversation's form", body(sender="whatsapp-" + "3f" * 20), JSON, 422),
    ("sender in a Telegram conversation's form", body(sender="telegram-" + "3f" * 20), JSON, 422),
    ("a list, not an object", b'["valid-sender-1", "hello"]', JSON, 422),
    ("lone surrogate", b'{"sender": "valid-sender-1", "message": "\\ud800"}', JSON, 422),
    ("deeply nested", b"[" * 30_000 + b"]" * 30_000, JSON, 413),  # past 16 KB, within 128 KiB
    ("oversized body", body(message="x" * (MAX_BODY_BYTES + 1)), JSON, 413),
    ("very deep but small", b"[" * 5000 + b"]" * 5000, JSON, 400),
]


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [case[1:] for case in BAD_BODIES],
    ids=[case[0] for case in BAD_BODIES],
)
def test_bad_input_gets_a_clear_4xx(
    gateway: Gateway, content: bytes, headers: dict, status: int
) -> None:
    response = raw(gateway, content, headers)
    assert response.status_code == status
    assert response.json()["detail"]
    assert response.headers["cache-control"] == "no-store"


def test_a_declared_oversized_body_is_refused_before_it_is_sent(gateway: Gateway) -> None:
    host, port = gateway.url.removeprefix("http://").split(":")
    head = (
        "POST /webhooks/rest/webhook HTTP/1.1\r\n"
        f"Host: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {100 * MAX_BODY_BYTES}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head.encode())
        answer = sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413")


def test_errors_do_not_echo_what_was_sent(gateway: Gateway) -> None:
    response = raw(gateway, body(sender="bad sender canary-7731", message="secret canary-7731"))
    assert response.status_code == 422
    assert "canary-7731" not in response.text


def test_a_message_of_exactly_2000_characters_is_accepted(gateway: Gateway) -> None:
    assert raw(gateway, body(sender=new_sender(), message="é" * 2000)).status_code == 200


def test_odd_but_valid_unicode_is_accepted(gateway: Gateway, rasa: StandInRasa) -> None:
    sender = new_sender()
    text = "Dw i\u2019n ofnus \U0001f614 \u202eabc \u0000 zero\u200bwidth"
    assert raw(gateway, body(sender=sender, message=text)).status_code == 200
    assert rasa.sent_by(sender) == [text]


def test_wrong_method_is_a_4xx(gateway: Gateway) -> None:
    assert httpx.get(gateway.url + "/webhooks/rest/webhook").status_code == 405


# ---------- headers (SECURITY.md 14) ----------


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        ("GET", "/", None),
        ("GET", "/chat/chat.js", None),
        ("GET", "/chat/chat.css", None),
        ("GET", "/chat/missing.txt", None),
        ("POST", "/webhooks/rest/webhook", body(sender="valid-sender-1")),
        ("POST", "/webhooks/rest/webhook", b"{not json"),
        ("POST", "/chat/exit", b'{"sender": "valid-sender-1"}'),
        ("POST", "/chat/pending", b'{"sender": "valid-sender-1"}'),
        ("GET", "/healthz", None),
    ],
)
def test_every_chat_response_carries_the_security_headers(
    gateway: Gateway, method: str, path: str, content: bytes | None
) -> None:
    response = httpx.request(method, gateway.url + path, content=content, headers=JSON)
    assert response.status_code < 500
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "camera=()" in response.headers["permissions-policy"]
    assert "set-cookie" not in response.headers


def test_the_page_has_the_exit_address_and_a_neutral_title(gateway: Gateway, other_site) -> None:
    page = httpx.get(gateway.url + "/").text
    assert f'data-exit-url="{other_site.url}/weather"' in page
    assert f'<a class="skip-exit" href="{other_site.url}/weather" rel="noreferrer"' in page
    assert "<title>Support chat</title>" in page
    assert "<script>" not in page and "style=" not in page
    outside = page.replace(other_site.url, "").replace("https://refugetechsafety.org/", "")
    assert "http" not in outside


def test_only_the_two_assets_are_served(gateway: Gateway) -> None:
    assert httpx.get(gateway.url + "/chat/index.html").status_code == 404
    assert httpx.get(gateway.url + "/chat/..%2Fheaders.py").status_code == 404
    js = httpx.get(gateway.url + "/chat/chat.js")
    assert js.headers["content-type"].startswith("text/javascript")


# ---------- logs (SECURITY.md 14) ----------


def test_no_message_text_sender_or_token_in_the_logs(
    gateway: Gateway, gateway_rasa_down: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sender = f"canary-sender-{uuid.uuid4().hex[:8]}"
    for target in (gateway, gateway_rasa_down):
        post(target, {"sender": sender, "message": "canary message he has a knife"})
        post(target, {"sender": sender, "message": "[fail] canary message"})
        post(target, {"sender": sender, "message": "exit"})
        post(target, {"sender": sender}, path="/chat/exit")
    gateway_records = [r for r in caplog.records if not _stand_in_rasa_access_line(r)]
    logged = "".join(f"{r.getMessage()} {r.args}" for r in gateway_records)
    assert "canary" not in logged
    assert "stand-in-rasa-token" not in logged
    assert any(r.name == "quietdoor.channels.web" for r in caplog.records)


def _stand_in_rasa_access_line(record: logging.LogRecord) -> bool:
    """The stand-in Rasa's own access log (Rasa's routes), which is not the gateway's."""
    return record.name == "uvicorn.access" and "/conversations/" in record.getMessage()


# ---------- /healthz ----------


def test_healthz_ok_when_rasa_has_a_model_and_actions_answer(gateway: Gateway) -> None:
    response = httpx.get(gateway.url + "/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_names_rasa_when_it_is_down(gateway_rasa_down: Gateway) -> None:
    response = httpx.get(gateway_rasa_down.url + "/healthz", timeout=10)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "rasa": "down", "action_server": "ok"}
    assert "127.0.0.1" not in response.text


def test_healthz_names_a_missing_model(make_gateway) -> None:
    response = httpx.get(make_gateway(rasa_token=NO_MODEL_TOKEN).url + "/healthz", timeout=10)
    assert response.status_code == 503
    assert response.json()["rasa"] == "no model loaded"
    assert NO_MODEL_TOKEN not in response.text


def test_healthz_names_the_action_server_when_it_is_down(make_gateway) -> None:
    response = httpx.get(make_gateway(actions_url=closed_port_url()).url + "/healthz", timeout=10)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "rasa": "ok", "action_server": "down"}
