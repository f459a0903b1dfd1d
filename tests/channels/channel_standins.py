"""Stand-ins for the channel tests: a Rasa, a neutral "other site", and the gateway itself.

Each runs under uvicorn in a thread on a free loopback port, so the tests speak real HTTP (and the
browser tests drive a real page). The stand-in Rasa records every call it gets, and a test can
script its next answers (status, body, delay) to see how a client copes.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from api.settings import Settings

RASA_TOKEN = "stand-in-rasa-token"
NO_MODEL_TOKEN = "stand-in-token-without-model"


# ---------- servers in threads ----------


class ServerThread:
    """uvicorn serving `app` on 127.0.0.1:<free port> in a daemon thread."""

    def __init__(self, app: FastAPI, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def closed_port_url() -> str:
    """An address where nothing listens: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# ---------- stand-in Rasa (and action server health) ----------


@dataclass(frozen=True)
class SeenRequest:
    """One request as it arrived on the wire (raw path: still percent-encoded)."""

    method: str
    raw_path: str
    query: str
    headers: dict[str, str]
    body: bytes
    client_port: int


@dataclass(frozen=True)
class ScriptedAnswer:
    """An answer given instead of the normal one: `body` after `delay` seconds."""

    status: int = 200
    body: str = ""
    delay: float = 0.0
    content_type: str = "application/json"


@dataclass
class StandInRasa:
    """Records calls; replies depend on the message so that tests need no shared switches.

    "/greet" -> a question with two buttons; "[rasa-emergency] ..." -> Rasa's own emergency
    reply; "[fail] ..." -> 500; "[slow] ..." -> answers after 2 s; anything else -> an echo.
    A test that needs something else queues it with `answer_next` (use a stand-in of its own,
    so that no other test's request takes the scripted answer). `pause()` holds every request
    to Rasa's routes (recorded on arrival, answered after `resume()`), as a Rasa process
    stopped with SIGSTOP would; the action server's /health still answers.
    """

    messages: list[tuple[str, str]] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    wipes: list[tuple[str, str | None, object]] = field(default_factory=list)
    status_calls: int = 0
    requests: list[SeenRequest] = field(default_factory=list)
    scripted: list[ScriptedAnswer] = field(default_factory=list)
    running: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.running.set()

    def pause(self) -> None:
        self.running.clear()

    def resume(self) -> None:
        self.running.set()

    def answer_next(
        self,
        status: int = 200,
        body: str = "",
        *,
        delay: float = 0.0,
        content_type: str = "application/json",
    ) -> None:
        """The next request (any route) gets this answer instead of the normal one."""
        self.scripted.append(ScriptedAnswer(status, body, delay, content_type))

    def reset(self) -> None:
        self.resume()
        self.messages.clear()
        self.metadata.clear()
        self.wipes.clear()
        self.status_calls = 0
        self.requests.clear()
        self.scripted.clear()

    def sent_by(self, sender: str) -> list[str]:
        return [message for who, message in self.messages if who == sender]

    def metadata_for(self, message: str) -> dict[str, Any]:
        """The metadata the one request carrying `message` had."""
        [metadata] = [
            meta
            for (_, text), meta in zip(self.messages, self.metadata, strict=True)
            if text == message
        ]
        return metadata

    def wiped(self, sender: str) -> bool:
        return any(who == sender for who, _, _ in self.wipes)

    def app(self) -> FastAPI:
        app = FastAPI()
        app.add_middleware(_RecordAndScript, rasa=self)

        @app.post("/webhooks/gateway/webhook")
        async def webhook(request: Request) -> Response:
            body = await request.json()
            sender, message = body["sender"], body["message"]
            self.messages.append((sender, message))
            self.metadata.append(body.get("metadata") or {})
            if message.startswith("[fail]"):
                return JSONResponse({"error": "boom"}, status_code=500)
            if message.startswith("[slow]"):
                await asyncio.sleep(2)
            if message == "/greet":
                return JSONResponse(
                    [
                        {
                            "recipient_id": sender,
                            "text": "Hello. Is it safe for you to talk right now?",
                            "buttons": [
                                {"title": "Yes, it is safe", "payload": "/affirm"},
                                {"title": "No, not now", "payload": "/deny"},
                            ],
                        }
                    ]
                )
            if message.startswith("[rasa-emergency]"):
                return JSONResponse(
                    [
                        {
                            "recipient_id": sender,
                            "text": "Rasa emergency text.",
                            "custom": {"quietdoor": "emergency"},
                        },
                        {"recipient_id": sender, "text": "Are you safe to keep talking?"},
                    ]
                )
            return JSONResponse([{"recipient_id": sender, "text": f"Echo: {message}"}])

        @app.put("/conversations/{sender}/tracker/events")
        async def replace_events(sender: str, request: Request) -> Response:
            self.wipes.append((sender, request.query_params.get("token"), await request.json()))
            if request.query_params.get("token") != RASA_TOKEN:
                return JSONResponse({"message": "unauthorised"}, status_code=401)
            return JSONResponse({"sender_id": sender, "events": []})

        @app.get("/status")
        async def status(request: Request) -> Response:
            self.status_calls += 1
            token = request.query_params.get("token")
            if token == NO_MODEL_TOKEN:
                return JSONResponse({"model_file": None, "model_id": None})
            if token != RASA_TOKEN:
                return JSONResponse({"message": "unauthorised"}, status_code=401)
            return JSONResponse({"model_file": "models/stand-in.tar.gz", "model_id": "abc"})

        @app.get("/health")
        async def actions_health() -> dict:
            return {"status": "ok"}

        return app


class _RecordAndScript:
    """ASGI middleware: record every request as it arrived, then give a scripted answer if one
    is queued, otherwise pass the request (body replayed) on to the stand-in's routes."""

    def __init__(self, app: Any, rasa: StandInRasa) -> None:
        self.app = app
        self.rasa = rasa

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.rasa.requests.append(
            SeenRequest(
                method=scope["method"],
                raw_path=scope["raw_path"].decode("ascii"),
                query=scope["query_string"].decode("ascii"),
                headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
                body=body,
                client_port=scope["client"][1],
            )
        )
        while not self.rasa.running.is_set() and scope["path"] != "/health":
            await asyncio.sleep(0.01)
        if self.rasa.scripted:
            answer = self.rasa.scripted.pop(0)
            await asyncio.sleep(answer.delay)
            payload = answer.body.encode("utf-8")
            await send(
                {
                    "type": "http.response.start",
                    "status": answer.status,
                    "headers": [
                        (b"content-type", answer.content_type.encode("latin-1")),
                        (b"content-length", str(len(payload)).encode("ascii")),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": payload})
            return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


# ---------- the neutral other site (exit page, and a page visited before the chat) ----------


def other_site_app() -> FastAPI:
    app = FastAPI()

    @app.get("/weather", response_class=HTMLResponse)
    def weather() -> str:
        return "<!doctype html><title>Weather</title><h1>Weather: light rain</h1>"

    @app.get("/previous", response_class=HTMLResponse)
    def previous() -> str:
        return "<!doctype html><title>Previous</title><h1>A page visited before</h1>"

    return app


# ---------- the gateway ----------


def gateway_app(settings: Settings) -> FastAPI:
    """The real gateway, from the application factory, with the test's settings."""
    from api.app import create_app

    return create_app(settings)


@dataclass
class Gateway:
    url: str
    settings: Settings


# The web chat's late replies (POST /chat/pending), collected as the page collects them.

T = TypeVar("T")


def collect(gateway: str, sender: str) -> dict:
    answer = httpx.post(f"{gateway}/chat/pending", json={"sender": sender}, timeout=10)
    assert answer.status_code == 200
    return answer.json()


def eventually(check: Callable[[], T | None], what: str) -> T:
    """The first truthy result of `check`; a failure only after a generous 20 s."""
    deadline = time.monotonic() + 20
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def late_replies(gateway: str, sender: str) -> list[dict]:
    """Everything the page would collect by polling until nothing more is on its way."""
    replies: list[dict] = []

    def drained() -> bool:
        answer = collect(gateway, sender)
        replies.extend(answer["replies"])
        return not answer["pending"]

    eventually(drained, "late replies never finished")
    replies.extend(collect(gateway, sender)["replies"])
    return replies
