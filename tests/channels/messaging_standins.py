"""Stand-ins for the servers outside this machine: Telegram's Bot API and Twilio's REST API.

Each records every call as it arrived, so tests can assert what the gateway asked Telegram or
Twilio to do. Requests to the channels are made the way the real services make them: Twilio's
with its own `RequestValidator` signature, Telegram's as python-telegram-bot `Update` objects.
`PausableRasa` is a Rasa that can be held (like a stopped process) and let go again.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import itertools
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from telegram import CallbackQuery, Chat, Message, Update, User
from twilio.request_validator import RequestValidator

from api.db import session_factory, utcnow
from api.settings import Settings
from channels.messaging import inbox
from channels.messaging.models import InboundMessage

MASTER_KEYS = f"k1:{base64.b64encode(os.urandom(32)).decode()}"
HASH_KEY = base64.b64encode(os.urandom(32)).decode()
PUBLIC_BASE_URL = "https://quietdoor.example.org"
TWILIO_ACCOUNT_SID = "AC" + "0" * 32
TWILIO_AUTH_TOKEN = "twilio-auth-token-for-tests-0123"
TWILIO_NUMBER = "+447700900001"
TELEGRAM_BOT_TOKEN = "123456:stand-in-bot-token"
TELEGRAM_SECRET = "telegram-webhook-secret-for-tests"
TWILIO_PATH = "/webhooks/twilio/webhook"
TELEGRAM_PATH = "/webhooks/telegram/webhook"


@dataclass(frozen=True)
class ApiCall:
    method: str
    params: dict[str, Any]


@dataclass
class StandInTelegram:
    """Telegram's Bot API: answers like Telegram, records every method called."""

    calls: list[ApiCall] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(5000))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def called(self, method: str, chat_id: int | None = None) -> list[dict[str, Any]]:
        return [
            c.params
            for c in self.calls
            if c.method == method and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def sent_ids(self, chat_id: int) -> list[int]:
        return [p["_message_id"] for p in self.called("sendMessage", chat_id)]

    def deleted_ids(self, chat_id: int) -> list[int]:
        ids = [p["message_id"] for p in self.called("deleteMessage", chat_id)]
        for params in self.called("deleteMessages", chat_id):
            ids += params["message_ids"]
        return sorted(ids)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/bot{token}/{method}")
        async def method(token: str, method: str, request: Request) -> JSONResponse:
            if token != TELEGRAM_BOT_TOKEN:
                return JSONResponse({"ok": False, "error_code": 401}, status_code=401)
            form = await request.form()
            params = {key: _json_or_text(str(value)) for key, value in form.items()}
            result: Any = True
            if method == "sendMessage":
                with self._lock:
                    message_id = next(self._ids)
                params["_message_id"] = message_id
                result = {
                    "message_id": message_id,
                    "date": int(dt.datetime.now(dt.UTC).timestamp()),
                    "chat": {"id": params["chat_id"], "type": "private"},
                    "text": params.get("text", ""),
                }
            elif method == "getMe":
                result = {"id": 123456, "is_bot": True, "first_name": "Support"}
            self.calls.append(ApiCall(method, params))
            return JSONResponse({"ok": True, "result": result})

        return app


@dataclass
class StandInTwilio:
    """Twilio's Messages API: records each message the gateway asked it to send."""

    sent: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/2010-04-01/Accounts/{sid}/Messages.json")
        async def create(sid: str, request: Request) -> JSONResponse:
            form = {key: str(value) for key, value in (await request.form()).items()}
            self.sent.append(form)
            return JSONResponse(
                {"sid": f"SM{len(self.sent):032d}", "account_sid": sid, "status": "queued"},
                status_code=201,
            )

        return app

    def sent_to(self, number: str) -> list[str]:
        """The bodies sent to `number`, in the order the gateway asked for them."""
        return [m["Body"] for m in self.sent if m["To"] == number]


@dataclass
class PausableRasa:
    """A Rasa that echoes, and while held reads nothing: a request waits, as one to a stopped
    process does, and is answered once let go. Records messages and wipes in the order read.
    "[rasa-emergency] ..." -> Rasa's own emergency reply first; "[options] ..." -> one choice,
    the emergency button."""

    messages: list[tuple[str, str]] = field(default_factory=list)
    wipes: list[str] = field(default_factory=list)
    waiting: int = 0
    _running: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._running.set()

    def hold(self) -> None:
        self._running.clear()

    def let_go(self) -> None:
        self._running.set()

    def sent_by(self, sender: str) -> list[str]:
        return [message for who, message in self.messages if who == sender]

    async def _read_when_running(self) -> None:
        self.waiting += 1
        try:
            while not self._running.is_set():
                await asyncio.sleep(0.02)
        finally:
            self.waiting -= 1

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/webhooks/gateway/webhook")
        async def webhook(request: Request) -> JSONResponse:
            body = await request.json()
            await self._read_when_running()
            sender, message = body["sender"], body["message"]
            self.messages.append((sender, message))
            if message.startswith("[rasa-emergency]"):
                return JSONResponse(
                    [
                        {"recipient_id": sender, "text": "Rasa emergency text."},
                        {"recipient_id": sender, "custom": {"quietdoor": "emergency"}},
                        {"recipient_id": sender, "text": f"Echo: {message}"},
                    ]
                )
            if message.startswith("[options]"):
                button = {"title": "I'm in danger now", "payload": "/emergency"}
                return JSONResponse([{"recipient_id": sender, "text": "?", "buttons": [button]}])
            return JSONResponse([{"recipient_id": sender, "text": f"Echo: {message}"}])

        @app.put("/conversations/{sender}/tracker/events")
        async def replace_events(sender: str) -> JSONResponse:
            await self._read_when_running()
            self.wipes.append(sender)
            return JSONResponse({"sender_id": sender, "events": []})

        return app


def wait_for(condition: Callable[[], bool], seconds: float = 15) -> bool:
    """Poll until `condition` holds (True) or `seconds` pass (False): for what comes later."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


# ---------- requests the way Twilio and Telegram make them ----------

_sids = itertools.count(1)


def twilio_params(
    body: str, *, sender: str = "+447700900123", sid: str | None = None, **extra: str
) -> dict[str, str]:
    """What Twilio posts for an inbound SMS (or WhatsApp, with a `whatsapp:` sender)."""
    to = f"whatsapp:{TWILIO_NUMBER}" if sender.startswith("whatsapp:") else TWILIO_NUMBER
    return {
        "MessageSid": sid or f"SM{next(_sids):032x}",
        "AccountSid": TWILIO_ACCOUNT_SID,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


def twilio_signature(
    params: dict[str, str],
    *,
    signed_url: str = PUBLIC_BASE_URL + TWILIO_PATH,
    token: str = TWILIO_AUTH_TOKEN,
) -> str:
    """X-Twilio-Signature exactly as Twilio computes it (the SDK's own code)."""
    return RequestValidator(token).compute_signature(signed_url, params)


def twilio_post(
    gateway_url: str,
    params: dict[str, str],
    *,
    signed_url: str = PUBLIC_BASE_URL + TWILIO_PATH,
    token: str = TWILIO_AUTH_TOKEN,
    body: bytes | None = None,
    signature: str | None = None,
) -> httpx.Response:
    """POST as Twilio does: form body, X-Twilio-Signature from Twilio's own validator."""
    signature = signature or twilio_signature(params, signed_url=signed_url, token=token)
    return httpx.post(
        gateway_url + TWILIO_PATH,
        content=body if body is not None else urlencode(params).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
        timeout=30,
    )


_update_ids = itertools.count(1)
_message_ids = itertools.count(100)


def _person(chat_id: int) -> User:
    return User(id=chat_id, is_bot=False, first_name="Sam")


def text_update(chat_id: int, text: str | None, *, chat_type: str = "private") -> Update:
    """A python-telegram-bot Update for a message the person typed."""
    message = Message(
        message_id=next(_message_ids),
        date=dt.datetime.now(dt.UTC),
        chat=Chat(id=chat_id, type=chat_type),
        from_user=_person(chat_id),
        text=text,
    )
    return Update(update_id=next(_update_ids), message=message)


def button_update(chat_id: int, data: str, on_message_id: int) -> Update:
    """A python-telegram-bot Update for a press on one of the bot's inline buttons."""
    message = Message(
        message_id=on_message_id,
        date=dt.datetime.now(dt.UTC),
        chat=Chat(id=chat_id, type="private"),
        text="(the bot's question)",
    )
    query = CallbackQuery(
        id=str(next(_update_ids)),
        from_user=_person(chat_id),
        chat_instance="ci",
        message=message,
        data=data,
    )
    return Update(update_id=next(_update_ids), callback_query=query)


def telegram_post(
    gateway_url: str, update: Update | dict | bytes, *, secret: str | None = TELEGRAM_SECRET
) -> httpx.Response:
    """POST as Telegram does: the update's JSON with the secret header."""
    if isinstance(update, Update):
        content = json.dumps(update.to_dict()).encode()
    elif isinstance(update, dict):
        content = json.dumps(update).encode()
    else:
        content = update
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return httpx.post(gateway_url + TELEGRAM_PATH, content=content, headers=headers, timeout=30)


def purge_delivery_records(settings: Settings) -> None:
    """What the inbox worker does a week on: every finished delivery record is deleted."""
    with session_factory(settings)() as session:
        assert wait_for(
            lambda: (
                not session.scalars(
                    select(InboundMessage.id).where(InboundMessage.state == "processing")
                ).all()
            )
        )
        inbox.purge(session, older_than=utcnow() + dt.timedelta(days=365))
        assert session.scalars(select(InboundMessage.id)).all() == []
