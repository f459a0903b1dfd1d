"""The whole product, started once for these tests exactly as `make run` starts it.

Real Rasa with the model trained from data/, the real action server, the gateway with a SQLite
file, and a local SMTP server standing in for the landlord's mail relay (the only mock: it is
outside the machine in real use).
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller

from ops.stack import ROOT, Ports, Stack, environment_with
from tests.channels.channel_standins import ServerThread
from tests.channels.messaging_standins import (
    PUBLIC_BASE_URL,
    TELEGRAM_BOT_TOKEN,
    TELEGRAM_SECRET,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_NUMBER,
    StandInTelegram,
    StandInTwilio,
)
from tests.rasa_tracker import rasa_tracker

MODEL = ROOT / "var" / "models" / "quietdoor.tar.gz"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailBox:
    """aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 OK"


@dataclass
class Product:
    stack: Stack
    var_dir: Path
    mailbox: MailBox
    telegram_api: StandInTelegram
    twilio_api: StandInTwilio

    @property
    def url(self) -> str:
        return self.stack.gateway_url

    def say(self, sender: str, message: str) -> list[dict]:
        answer = httpx.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=60,
        )
        answer.raise_for_status()
        return answer.json()

    def late(self, sender: str) -> list[dict]:
        """Replies Rasa gave after the answer went, collected as the page does (POST
        /chat/pending) until none are on their way."""
        replies: list[dict] = []
        deadline = time.monotonic() + 60
        while True:
            answer = httpx.post(f"{self.url}/chat/pending", json={"sender": sender}, timeout=30)
            answer.raise_for_status()
            replies += answer.json()["replies"]
            if not answer.json()["pending"]:
                return replies
            assert time.monotonic() < deadline, "late replies never finished"
            time.sleep(0.1)

    def rasa_tracker(self, sender: str) -> dict:
        return rasa_tracker(
            self.stack.rasa_url_for(sender), self.stack.env["QD_RASA_TOKEN"], sender
        )


@pytest.fixture(scope="session")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests through `make test`")
    var_dir = tmp_path_factory.mktemp("var")
    mailbox = MailBox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    telegram_api, twilio_api = StandInTelegram(), StandInTwilio()
    telegram_server = ServerThread(telegram_api.app()).start()
    twilio_server = ServerThread(twilio_api.app()).start()
    env = environment_with(var_dir) | {
        "QD_SMTP_HOST": "127.0.0.1",
        "QD_SMTP_PORT": str(smtp.port),
        "QD_ALERT_EMAILS": "team@landlord.example",
        "QD_OUTBOX_POLL_SECONDS": "0.5",
        # Replies are checked whole, not raced: on a busy test machine Rasa may take longer than
        # the 4 s a person waits before the holding reply (tests/e2e/test_rasa_paused.py and
        # tests/channels/test_web_waiting.py test that reply).
        "QD_CHAT_WAIT_SECONDS": "60",
        # Every conversation of the suite comes from 127.0.0.1: the per-address limits have
        # their own tests (tests/channels/test_web_limits.py).
        "QD_WEB_CHAT_MESSAGES_PER_MINUTE_PER_ADDRESS": "100000",
        "QD_WEB_CHAT_NEW_CONVERSATIONS_PER_HOUR_PER_ADDRESS": "100000",
        # Twilio and Telegram are outside the machine: their APIs are local stand-ins.
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": TWILIO_NUMBER,
        "TWILIO_API_BASE_URL": twilio_server.url,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_BOT_TOKEN,
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE_URL": f"{telegram_server.url}/bot",
    }
    ports = Ports(
        rasa=free_port(),
        actions=free_port(),
        gateway=free_port(),
        gateway_host="127.0.0.1",
        internal=free_port(),
    )
    stack = Stack(var_dir=var_dir, env=env, ports=ports, model=MODEL)
    stack.start()
    try:
        stack.wait_ready()
        yield Product(stack, var_dir, mailbox, telegram_api, twilio_api)
    finally:
        stack.stop()
        smtp.stop()
        telegram_server.stop()
        twilio_server.stop()


@pytest.fixture
def sender() -> str:
    return uuid.uuid4().hex
