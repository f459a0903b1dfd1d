"""Shared fixtures: a real HTTP stand-in for the case service and tracker builders."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.case_service import clear_org_cache
from ops.services.redis import throwaway_redis

REPO = Path(__file__).resolve().parents[2]
DOMAIN: dict[str, Any] = Domain.load(str(REPO / "bot" / "domain")).as_dict()
SERVICE_TOKEN = "test-service-token"

ORG = {
    "id": "stonewater",
    "name": "Stonewater",
    "nation": "ENG",
    "contact_text": "call 0300 123 4567 or use the tenant app",
    "office_hours_text": "Monday to Friday, 8am to 6pm",
    "exit_url": "https://www.bbc.co.uk/weather",
}


class CaseServiceStub:
    """Answers /internal/* like the case service and records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.responses: dict[tuple[str, str], tuple[int, Any]] = {
            ("GET", "/internal/org"): (200, ORG),
        }
        self.server: ThreadingHTTPServer | None = None

    def respond(self, method: str, path: str, status: int, body: Any) -> None:
        self.responses[(method, path)] = (status, body)

    def requests_to(self, method: str, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == method and r["path"] == path]

    def start(self) -> str:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                stub.requests.append(
                    {
                        "method": method,
                        "path": url.path,
                        "query": {k: v[0] for k, v in parse_qs(url.query).items()},
                        "headers": dict(self.headers),
                        "json": json.loads(raw) if raw else None,
                    }
                )
                if self.headers.get("Authorization") != f"Bearer {SERVICE_TOKEN}":
                    status, body = 401, {"detail": "unauthorised"}
                else:
                    status, body = stub.responses.get((method, url.path), (404, {}))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture(autouse=True)
def _fresh_org_cache() -> Iterator[None]:
    clear_org_cache()
    yield
    clear_org_cache()


@pytest.fixture
def case_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[CaseServiceStub]:
    stub = CaseServiceStub()
    monkeypatch.setenv("QD_CASE_SERVICE_URL", stub.start())
    monkeypatch.setenv("QD_SERVICE_TOKEN", SERVICE_TOKEN)
    yield stub
    stub.stop()


@pytest.fixture
def case_service_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Points the actions at a port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("QD_CASE_SERVICE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("QD_SERVICE_TOKEN", SERVICE_TOKEN)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """One throwaway Redis for the whole session (ops/services/redis.py), stopped at the end."""
    with throwaway_redis(REPO / "var" / "tmp") as url:
        yield url


def make_tracker(
    slots: dict[str, Any] | None = None,
    intent: str | None = None,
    text: str = "",
    entities: list[dict[str, Any]] | None = None,
    answered: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    metadata: dict[str, Any] | None = None,
    sender_id: str = "conversation-1",
) -> Tracker:
    """A tracker as the action server receives it.

    `answered` are the slots extracted from the latest message: they are set in the slots and
    appear as SlotSet events after the user event, which is how FormValidationAction finds them.
    """
    all_slots = {name: None for name in DOMAIN["slots"]}
    all_slots.update(slots or {})
    all_slots.update(answered or {})
    latest = {
        "intent": {"name": intent, "confidence": 0.95} if intent else {},
        "entities": entities or [],
        "text": text,
        "metadata": metadata or {},
    }
    history = list(events or [])
    history.append(
        {
            "event": "user",
            "timestamp": 1000.0,
            "text": text,
            "parse_data": latest,
            "metadata": metadata or {},
        }
    )
    history += [{"event": "slot", "name": k, "value": v} for k, v in (answered or {}).items()]
    return Tracker.from_dict(
        {
            "sender_id": sender_id,
            "slots": all_slots,
            "latest_message": latest,
            "events": history,
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


def run_action(action: Any, tracker: Tracker) -> tuple[list[dict[str, Any]], list[str]]:
    """Run an action; return its events and the response names it sent, in order."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return events, [m.get("response") for m in dispatcher.messages]


def run_action_messages(action: Any, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    """Like run_action but returns the whole dispatched messages (for template values)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return events, dispatcher.messages


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The SlotSet events as {slot: value}, later events winning."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
