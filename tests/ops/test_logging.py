"""The gateway's log: one JSON object a line, with time, level, logger and event, and never a
message, a sender id, a phone number or a follow-up code, over a run of typical requests to a
real gateway process (as ops/stack.py starts it) whose Rasa is down, so the safety net logs too.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from twilio.request_validator import RequestValidator

from ops.dev_secrets import generate
from ops.logging_config import JsonFormatter
from ops.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
CANARY = "CANARYDISCLOSURE91c4"
SENDER = "webchat-SENDERCANARY-4242"
PHONE = "+447700900123"
PHONE_FORMS = (PHONE, "7700900123", "07700 900123", "07700900123")
CODE = "7KQM-4PXD-9HTR-2WNB"
PUBLIC_BASE_URL = "https://quietdoor.example.org"
TWILIO_TOKEN = "twilio-auth-token-for-log-tests"
TWILIO_PATH = "/webhooks/twilio/webhook"
KEYS = {"time", "level", "logger", "event"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def signed_sms(body: str, sid: str) -> tuple[bytes, dict[str, str]]:
    """An inbound SMS as Twilio posts it, signed with the test's auth token."""
    params = {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": PHONE,
        "To": "+447700900001",
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        PUBLIC_BASE_URL + TWILIO_PATH, params
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
    }
    return urlencode(params).encode(), headers


@pytest.fixture(scope="module")
def gateway_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """The stderr lines of a gateway process that answered a run of typical requests."""
    var = tmp_path_factory.mktemp("var")
    port, nothing_there = free_port(), f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        **generate(),
        "PYTHONPATH": str(ROOT),
        "QD_VAR_DIR": str(var),
        "QD_INTERNAL_PORT": str(free_port()),
        "QD_RASA_URL": nothing_there,
        "QD_ACTIONS_URL": nothing_there,
        "QD_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "QD_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "QD_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "QD_TWILIO_FROM_NUMBER": "+447700900001",
        "QD_TWILIO_API_BASE_URL": nothing_there,
        "QD_MESSAGING_RETRY_SECONDS": "0.2",
        "QD_INBOX_POLL_SECONDS": "0.2",
    }
    stderr = var / "gateway.err"
    with stderr.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ops.gateway", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, stderr.read_text()
            try:
                httpx.get(url + "/livez", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the gateway did not listen in time"
                time.sleep(0.2)
        typical_requests(url)
        time.sleep(1.0)  # the inbox worker's retries and the late SMS reply attempt
    finally:
        process.terminate()
        process.wait(timeout=15)
    yield stderr.read_text(encoding="utf-8").splitlines()


def typical_requests(url: str) -> None:
    """Web chat (a message, an emergency, a bad body), follow-up by code, SMS, a stray path."""
    chat = url + "/webhooks/rest/webhook"
    with httpx.Client(timeout=30) as http:
        http.post(chat, json={"sender": SENDER, "message": f"he hurts me {CANARY}"})
        http.post(chat, json={"sender": SENDER, "message": f"he is here with a knife {CANARY}"})
        http.post(chat, json={"sender": SENDER, "message": 5, "extra": CANARY})
        http.post(chat, content=f'{{"sender": "{SENDER}", "message": "{CANARY}'.encode())
        http.post(url + "/chat/follow-up", json={"code": CODE})
        http.post(url + "/chat/follow-up/messages", json={"code": CODE, "message": CANARY})
        for number, text in enumerate((f"help {CANARY}", CODE, f"REPLY {CANARY}")):
            body, headers = signed_sms(text, f"SM{number:032x}")
            http.post(url + TWILIO_PATH, content=body, headers=headers)
        http.post(url + TWILIO_PATH, content=signed_sms(CANARY, "SMx")[0])  # unsigned
        http.get(f"{url}/{CANARY}/{PHONE}")


def test_every_line_is_a_json_object_with_time_level_logger_and_event(gateway_log) -> None:
    assert gateway_log, "the gateway logged nothing"
    entries = [json.loads(line) for line in gateway_log]
    for entry in entries:
        assert set(entry) >= KEYS, entry
        assert entry["time"].endswith("+00:00"), entry
    levels = {(entry["level"], entry["logger"].split(".")[0]) for entry in entries}
    assert ("INFO", "uvicorn") in levels  # INFO lines are no longer lost
    assert ("WARNING", "quietdoor") in levels  # the safety net answered, Rasa being down


def test_no_message_sender_phone_number_or_code_is_logged(gateway_log) -> None:
    text = "\n".join(gateway_log)
    for secret in (CANARY, SENDER, *PHONE_FORMS, CODE, CODE.replace("-", "")):
        assert secret not in text, secret
    assert "POST /" not in text  # no access lines: they carry client addresses and paths


def test_an_exception_is_named_and_placed_but_its_message_is_not_kept() -> None:
    try:
        raise KeyError(f"{CANARY} {PHONE}")
    except KeyError:
        record = logging.LogRecord(
            "quietdoor.test", logging.ERROR, __file__, 1, "turn failed", None, sys.exc_info()
        )
    record.created = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC).timestamp()
    entry = json.loads(JsonFormatter().format(record))
    assert entry["time"] == "2026-12-02T10:00:00.000+00:00"
    assert (entry["level"], entry["logger"], entry["event"]) == (
        "ERROR",
        "quietdoor.test",
        "turn failed",
    )
    assert entry["exception"] == "KeyError"
    assert entry["stack"][0].endswith(
        "in test_an_exception_is_named_and_placed_but_its_message_is_not_kept"
    )
    assert CANARY not in json.dumps(entry)


def test_a_structlog_line_of_rasa_keeps_only_its_event_name() -> None:
    rendered = json.dumps({"event": "processor.message.received", "user_message": CANARY})
    record = logging.LogRecord("rasa.core", logging.WARNING, __file__, 1, rendered, None, None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["event"] == "processor.message.received"
    assert CANARY not in json.dumps(entry)


def test_the_action_server_and_rasa_log_json_lines_too(tmp_path: Path) -> None:
    """The action server reads the file the stack writes (a Python warning and Sanic's loggers,
    which do not propagate, included); Rasa gets no `--log-file`, a plain-text handler."""
    stack = Stack(var_dir=tmp_path, env={}, rasa_workers=1, assistant_nice=0)
    commands = stack.commands()
    assert all("--log-file" not in command for command in commands.values())
    actions = commands["actions"]
    config = Path(actions[actions.index("--logging-config_file") + 1])
    stack.write_logging_config()
    script = (
        "import json, logging, logging.config, sys, warnings;"
        f"logging.config.dictConfig(json.load(open({str(config)!r})));"
        "logging.getLogger('sanic.error').warning('sanic says');"
        "logging.getLogger('rasa_sdk.executor').warning('sdk says');"
        "warnings.warn('deprecated thing')"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    entries = [json.loads(line) for line in run.stderr.splitlines()]
    assert [entry["logger"] for entry in entries] == [
        "sanic.error",
        "rasa_sdk.executor",
        "py.warnings",
    ]
    assert all(set(entry) >= KEYS for entry in entries)
