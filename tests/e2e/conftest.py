"""The whole product, started once for these tests exactly as `make run` starts it.

Real Rasa with the model trained from data/, the real action server, the gateway with a SQLite
file, and a local SMTP server standing in for the landlord's mail relay (the only mock: it is
outside the machine in real use).
"""

from __future__ import annotations

import socket
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

    def rasa_tracker(self, sender: str) -> dict:
        token = self.stack.env["QD_RASA_TOKEN"]
        answer = httpx.get(
            f"{self.stack.rasa_url}/conversations/{sender}/tracker",
            params={"token": token},
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()


@pytest.fixture(scope="session")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests through `make test`")
    var_dir = tmp_path_factory.mktemp("var")
    mailbox = MailBox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = environment_with(var_dir) | {
        "QD_SMTP_HOST": "127.0.0.1",
        "QD_SMTP_PORT": str(smtp.port),
        "QD_ALERT_EMAILS": "team@landlord.example",
        "QD_OUTBOX_POLL_SECONDS": "0.5",
    }
    ports = Ports(
        rasa=free_port(), actions=free_port(), gateway=free_port(), gateway_host="127.0.0.1"
    )
    stack = Stack(var_dir=var_dir, env=env, ports=ports, model=MODEL)
    stack.start()
    try:
        stack.wait_ready()
        yield Product(stack=stack, var_dir=var_dir, mailbox=mailbox)
    finally:
        stack.stop()
        smtp.stop()


@pytest.fixture
def sender() -> str:
    return uuid.uuid4().hex
