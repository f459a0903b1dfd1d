"""A property-based fuzz of the request parsers, at the ASGI boundary (issue 10).

Mostly a body the route takes with one field wrong or missing (so each parser is reached past
JSON and form decoding), else any JSON, form or bytes; any content type; padded up to, just over
or well past the route's limit; sent in chunks with an honest, missing, low or high
Content-Length, straight into the real app (its lifespan running against the stand-in Rasa,
Twilio and Telegram). The ASGI `receive` is instrumented to count the body bytes the app pulls.
For every request:

- never a 5xx;
- never more than the route's limit read, plus the one chunk that crossed it;
- a declared body over the limit is refused (413, or 415 for the wrong type) before one byte
  of it is read;
- a body read past the limit always ends in 413.

The routes: everything anyone may post without credentials (the web chat, follow-up, sign-in),
the webhooks with their valid secret and a valid Twilio signature over the bytes sent, and the
action server's `/internal/cases` with its token, so each parser behind them is reached.
"""

from __future__ import annotations

import copy
import functools
import json
import operator
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import anyio
import pytest
from channel_standins import gateway_app
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from messaging_standins import (
    TELEGRAM_SECRET,
    twilio_params,
    twilio_signature,
)
from starlette.datastructures import ImmutableMultiDict
from test_follow_up_api import new_address

from api.app import MAX_REQUEST_BODY_BYTES
from channels.request_body import MAX_BODY_BYTES
from channels.telegram.router import MAX_UPDATE_BYTES, SECRET_HEADER
from tests.sign_in_page import browser_state

MAX_EXAMPLES = 60
CHUNK_SIZES = (256, 4096, 65536)


@dataclass(frozen=True)
class Route:
    path: str
    limit: int
    """The most body bytes this route may read."""
    media_type: str
    valid: tuple[dict, ...]
    """Bodies its parser takes: the fuzz sends them with one field wrong, or missing."""
    credentials: tuple[tuple[str, str], ...] = ()


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
SIGN_IN = "/staff/login"

WEB = ({"sender": "fuzz-sender-0001", "message": "hello"},)
WEB_SENDER = ({"sender": "fuzz-sender-0001"},)
FOLLOW_UP = ({"code": "2222-3333-4444-5555", "message": "hello"},)
TWILIO = (
    twilio_params("hello", sender="+447700800001", sid="SM" + "1" * 32),
    twilio_params("STOP", sender="whatsapp:+447700800002", sid="SM" + "2" * 32, OptOutType="STOP"),
)
_SAM = {"id": 7_100_001, "is_bot": False, "first_name": "Sam"}
_MESSAGE = {
    "message_id": 10,
    "date": 1_700_000_000,
    "chat": {"id": 7_100_001, "type": "private"},
    "from": _SAM,
    "text": "hello",
}
TELEGRAM = (
    {"update_id": 1, "message": _MESSAGE},
    {
        "update_id": 2,
        "callback_query": {
            "id": "3",
            "from": _SAM,
            "chat_instance": "ci",
            "data": "/affirm",
            "message": _MESSAGE,
        },
    },
)
REPORT = {
    "idempotency_key": "parser-fuzz-report-0001",
    "channel": "web",
    "reporter_type": "self",
    "what_happening": "something",
    "contact_method": "none",
}

ROUTES = [
    Route("/webhooks/rest/webhook", MAX_BODY_BYTES, JSON, WEB),
    Route("/chat/pending", MAX_BODY_BYTES, JSON, WEB_SENDER),
    Route("/chat/exit", MAX_BODY_BYTES, JSON, WEB_SENDER),
    Route("/chat/follow-up", MAX_BODY_BYTES, JSON, FOLLOW_UP),
    Route("/chat/follow-up/messages", MAX_BODY_BYTES, JSON, FOLLOW_UP),
    Route("/webhooks/twilio/webhook", MAX_BODY_BYTES, FORM, TWILIO),
    Route(
        "/webhooks/telegram/webhook",
        MAX_UPDATE_BYTES,
        JSON,
        TELEGRAM,
        ((SECRET_HEADER, TELEGRAM_SECRET),),
    ),
    Route(SIGN_IN, MAX_REQUEST_BODY_BYTES, FORM, ({"email": "a@b.example", "password": "x"},)),
    Route(
        "/internal/cases",
        MAX_REQUEST_BODY_BYTES,
        JSON,
        (REPORT,),
        (("authorization", "Bearer stand-in-service-token"),),
    ),
]

# ---------- what is sent ----------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["private", "group", "whatsapp:+447700900123", "+447700900123", "exit"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def places(value: object, path: tuple = ()) -> list[tuple]:
    """Every place in a JSON value (the path of keys and indexes to it), itself included."""
    found = [path]
    if isinstance(value, dict | list):
        for key, child in value.items() if isinstance(value, dict) else enumerate(value):
            found += places(child, (*path, key))
    return found


@st.composite
def one_field_wrong(draw: st.DrawFn, valid: dict) -> object:
    """`valid` with one place (a field, a nested object, an item) missing or holding anything:
    the rest stays right, so the parser gets as far as that place."""
    body = copy.deepcopy(valid)
    path = draw(st.sampled_from(places(body)[1:]))
    *parents, last = path
    holder = functools.reduce(operator.getitem, parents, body)
    if draw(st.booleans()) and isinstance(holder, dict):
        del holder[last]
    else:
        holder[last] = draw(json_values)
    return body


def encoded(route: Route, value: object) -> bytes:
    """As the route's own clients send it: JSON, or a form of text values."""
    if route.media_type == FORM and isinstance(value, dict):
        return urlencode(
            {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
        ).encode()
    return json.dumps(value).encode()


def bodies(route: Route, form_extras: dict[str, str]) -> st.SearchStrategy[bytes]:
    """Mostly a body the route takes with one field wrong (or none), else any JSON, a form of
    any text pairs (with the page's hidden fields, for the sign-in form), or any bytes."""
    valid = st.sampled_from(route.valid)
    shaped = st.one_of(valid, valid.flatmap(one_field_wrong), valid.flatmap(one_field_wrong))
    if route.media_type == FORM:
        shaped = shaped.map(lambda value: value | form_extras if isinstance(value, dict) else value)
    shaped_bytes = shaped.map(lambda value: encoded(route, value))
    names = st.sampled_from([name for body in route.valid for name in body])
    forms = st.lists(st.tuples(names | st.text(), st.text()), max_size=8)
    return st.one_of(
        shaped_bytes,
        shaped_bytes,
        shaped_bytes,
        json_values.map(lambda value: json.dumps(value).encode()),
        forms.map(lambda pairs: urlencode([*pairs, *form_extras.items()]).encode()),
        st.binary(max_size=200),
    )


other_content_types = st.sampled_from(
    [
        "application/json; charset=utf-8",
        'application/json; charset="UTF8"',
        "application/json; charset=latin-1",
        "multipart/form-data; boundary=xyz",
        "text/plain",
        "",
    ]
)


@dataclass(frozen=True)
class Sent:
    """One request as the fuzz sends it."""

    body: bytes
    content_type: str
    declared: str | None
    """The Content-Length header (None: chunked, none given)."""
    chunk: int

    def chunks(self) -> list[bytes]:
        parts = [self.body[i : i + self.chunk] for i in range(0, len(self.body), self.chunk)]
        return parts or [b""]

    def declared_size(self) -> int | None:
        try:
            return int(self.declared) if self.declared is not None else None
        except ValueError:
            return None


@st.composite
def sent(draw: st.DrawFn, route: Route, form_extras: dict[str, str]) -> Sent:
    """A body of the route's kind, padded up to, just over or well past its limit; mostly of
    the type the route takes, so that the parser behind the type check is reached."""
    body = draw(bodies(route, form_extras))
    room = max(route.limit - len(body), 0)
    padding = draw(st.sampled_from([0, 0, 0, room, room + 1, 2 * route.limit]))
    body += b" " * padding  # JSON stays JSON, so a body of exactly the limit is still parsed
    size = len(body)
    declared = draw(
        st.sampled_from([None, str(size), str(size // 2), str(size + 1000), str(10**12), "x"])
    )
    content_type = draw(st.just(route.media_type) | st.just(route.media_type) | other_content_types)
    return Sent(body, content_type, declared, draw(st.sampled_from(CHUNK_SIZES)))


# ---------- sending it, counting what the app reads ----------


@dataclass(frozen=True)
class Exchange:
    status: int
    pulled: int
    """Body bytes the app took from `receive`."""


async def exchange(
    app: FastAPI, route: Route, request: Sent, address: str, cookie: str
) -> Exchange:
    """Drive the ASGI app once with `request`, in chunks, as a server would."""
    pending = request.chunks()
    pulled = 0
    status = 0
    finished = anyio.Event()
    headers = [(b"content-type", request.content_type.encode("latin-1"))]
    if request.declared is None:
        headers.append((b"transfer-encoding", b"chunked"))
    else:
        headers.append((b"content-length", request.declared.encode("latin-1")))
    headers += [(k.lower().encode("ascii"), v.encode("ascii")) for k, v in route.credentials]
    if route.path == "/webhooks/twilio/webhook":
        headers.append((b"x-twilio-signature", signature_for(request.body).encode("ascii")))
    if cookie:
        headers.append((b"cookie", cookie.encode("ascii")))

    async def receive() -> dict:
        nonlocal pulled
        if pending:
            chunk = pending.pop(0)
            pulled += len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": route.path,
        "raw_path": route.path.encode("ascii"),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": (address, 50000),
        "server": ("testserver", 443),
        "state": {},
    }
    await app(scope, receive, send)
    assert finished.is_set(), "the app never finished its answer"
    return Exchange(status, pulled)


def signature_for(body: bytes) -> str:
    """Twilio's signature over the form the gateway will parse from `body` (when it can)."""
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        pairs = []
    return twilio_signature(ImmutableMultiDict(pairs))


@pytest.fixture(scope="module")
def app_client(
    make_gateway, messaging_changes: dict, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The gateway in-process with every channel on, its lifespan running."""
    var_dir: Path = tmp_path_factory.mktemp("var")
    settings = make_gateway(**messaging_changes).settings.model_copy(update={"var_dir": var_dir})
    with TestClient(gateway_app(settings), base_url="https://testserver") as client:
        yield client


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.path)
def test_no_body_gets_a_server_error_or_is_read_past_its_limit(
    app_client: TestClient, route: Route
) -> None:
    address = new_address()  # this route's throttles are its own: a 429 is fine, a 500 is not
    form_extras, cookies = {}, {}
    if route.path == SIGN_IN:  # as a browser signs in, so the fields are read past the CSRF check
        form_extras, cookies = browser_state(app_client.get(SIGN_IN))
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())

    @given(request=sent(route, form_extras))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(request: Sent) -> None:
        answer = app_client.portal.call(exchange, app_client.app, route, request, address, cookie)
        assert answer.status < 500, answer
        assert answer.pulled <= route.limit + request.chunk, answer
        declared = request.declared_size()
        if declared is not None and declared > route.limit:  # 413, or refused before reading
            assert answer.pulled == 0 and answer.status in (413, 415), answer
        if answer.pulled > route.limit:
            assert answer.status == 413, answer

    check()
    web_chat = app_client.post(
        "/webhooks/rest/webhook",
        json={"sender": "after-the-parser-fuzz", "message": "still answered"},
    )
    assert web_chat.status_code == 200, web_chat.text
    assert "Echo: still answered" in [reply.get("text") for reply in web_chat.json()]


_PERSON = {"id": 7_100_001, "is_bot": False, "first_name": "Sam"}
_CHAT = {"id": 7_100_001, "type": "private"}


@pytest.mark.parametrize(
    ("why", "update"),
    [
        (
            "a button pressed on a message without its chat",
            {
                "update_id": 1,
                "callback_query": {
                    "id": "1",
                    "from": _PERSON,
                    "chat_instance": "c",
                    "data": "/affirm",
                    "message": {"message_id": 1, "date": 93},
                },
            },
        ),
        (
            "a date past the year 9999",
            {
                "update_id": 2,
                "message": {"message_id": 2, "date": 10**20, "chat": _CHAT, "text": "hi"},
            },
        ),
        (
            "a number for the text",
            {"update_id": 3, "message": {"message_id": 3, "date": 1, "chat": _CHAT, "text": 5}},
        ),
        (
            "text for the chat id",
            {
                "update_id": 4,
                "message": {
                    "message_id": 4,
                    "date": 1,
                    "chat": {"id": "abc", "type": "private"},
                    "text": "hi",
                },
            },
        ),
        (
            "text for the message id",
            {
                "update_id": 5,
                "message": {"message_id": "x", "date": 1, "chat": _CHAT, "text": "hi"},
            },
        ),
    ],
)
def test_a_telegram_update_with_a_field_of_the_wrong_type_is_a_400_not_a_500(
    app_client: TestClient, why: str, update: dict
) -> None:
    """Found by the fuzz: python-telegram-bot's `Update.de_json` checks no types, so these
    reached the handler and failed there (500)."""
    answer = app_client.post(
        "/webhooks/telegram/webhook", json=update, headers={SECRET_HEADER: TELEGRAM_SECRET}
    )
    assert answer.status_code == 400, why
