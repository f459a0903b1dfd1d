"""Schemathesis over every public endpoint whose body the gateway reads itself (issue 10).

The web chat, follow-up and the two webhooks read their bodies through their own strict readers
(channels/request_body.py), so the app's OpenAPI spec says nothing about what they take and
tests/api/test_openapi.py can only send them empty bodies. Here the spec is completed with what
each one really takes (the web chat's own pydantic models, Twilio's form parameters, the shape of
a Telegram `Update`), and schemathesis sends bodies that fit it and bodies that break it, to a
real gateway (uvicorn) in front of the stand-in Rasa, Twilio and Telegram. Every Twilio request
carries the signature Twilio's own `RequestValidator` computes for exactly those bytes, and every
Telegram request the secret header, so generated bodies get past authentication to the parsers
and the conversation behind them. No answer may be a 5xx, and afterwards the endpoint still
serves a real person normally.

Staff sign-in is posted as a browser posts it (the page's hidden fields and cookie), with the
account's own e-mail and password or anything else: no 5xx, nobody in without the code, the
right password with a wrong code answered exactly as an unknown account, and staff still sign in
afterwards.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

import httpx
import pyotp
import pytest
import requests
import schemathesis
from channel_standins import Gateway
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from messaging_standins import (
    TELEGRAM_SECRET,
    StandInTelegram,
    telegram_post,
    text_update,
    twilio_params,
    twilio_post,
    twilio_signature,
)
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from starlette.datastructures import ImmutableMultiDict
from test_follow_up_api import anonymous_case, new_address
from test_telegram import sent_texts
from test_twilio import messages as twiml_messages

from api.cases.service import CaseKeys
from api.crypto.keys import hash_key_from, keyring_from
from api.db import session_factory, utcnow
from api.staff.service import create_user
from channels.telegram.router import SECRET_HEADER
from channels.web.schemas import (
    ChatMessage,
    ExitRequest,
    FollowUpMessageRequest,
    FollowUpRequest,
    PendingRequest,
)
from tests.sign_in_page import browser_state

MAX_EXAMPLES = 15
SIGN_IN_EXAMPLES = 6
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
SIGN_IN = "/staff/login"

_TELEGRAM_USER = {
    "type": "object",
    "properties": {
        "id": {"type": "integer", "minimum": 1, "maximum": 2**40},
        "is_bot": {"type": "boolean"},
        "first_name": {"type": "string", "maxLength": 64},
    },
    "required": ["id", "is_bot", "first_name"],
}
_TELEGRAM_MESSAGE = {
    "type": "object",
    "properties": {
        "message_id": {"type": "integer", "minimum": 1, "maximum": 2**31},
        "date": {"type": "integer", "minimum": 0, "maximum": 2**31},
        "chat": {
            "type": "object",
            "properties": {
                "id": {"type": "integer", "minimum": -(2**52), "maximum": 2**52},
                "type": {"enum": ["private", "group", "supergroup", "channel"]},
            },
            "required": ["id", "type"],
        },
        "from": _TELEGRAM_USER,
        "text": {"type": "string", "maxLength": 4096},
    },
    "required": ["message_id", "date", "chat"],
}
TELEGRAM_UPDATE = {
    "type": "object",
    "properties": {
        "update_id": {"type": "integer", "minimum": 0, "maximum": 2**31},
        "message": _TELEGRAM_MESSAGE,
        "edited_message": _TELEGRAM_MESSAGE,
        "callback_query": {
            "type": "object",
            "properties": {
                "id": {"type": "string", "maxLength": 64},
                "from": _TELEGRAM_USER,
                "chat_instance": {"type": "string", "maxLength": 64},
                "data": {"type": "string", "maxLength": 64},
                "message": _TELEGRAM_MESSAGE,
            },
            "required": ["id", "from", "chat_instance"],
        },
    },
    "required": ["update_id"],
}
"""What Telegram posts (a subset of the Bot API's Update: the parts the gateway reads)."""

TWILIO_FORM = {
    "type": "object",
    "properties": {
        "MessageSid": {"type": "string", "pattern": "^SM[0-9a-f]{32}$"},
        "AccountSid": {"type": "string"},
        "From": {
            "anyOf": [
                {"type": "string", "pattern": r"^(whatsapp:)?\+44[0-9]{10}$"},
                {"type": "string", "minLength": 1, "maxLength": 40},
            ]
        },
        "To": {"type": "string"},
        "Body": {"type": "string", "maxLength": 1600},
        "NumMedia": {"type": "string", "pattern": "^[0-9]$"},
        "OptOutType": {"enum": ["STOP", "START", "HELP"]},
    },
    "required": ["MessageSid", "From", "Body"],
    "additionalProperties": {"type": "string"},
}
"""What Twilio posts for an inbound SMS or WhatsApp message (flat string parameters)."""

BODIES: dict[str, tuple[str, dict]] = {
    "/webhooks/rest/webhook": (JSON, ChatMessage.model_json_schema()),
    "/chat/pending": (JSON, PendingRequest.model_json_schema()),
    "/chat/exit": (JSON, ExitRequest.model_json_schema()),
    "/chat/follow-up": (JSON, FollowUpRequest.model_json_schema()),
    "/chat/follow-up/messages": (JSON, FollowUpMessageRequest.model_json_schema()),
    "/webhooks/twilio/webhook": (FORM, TWILIO_FORM),
    "/webhooks/telegram/webhook": (JSON, TELEGRAM_UPDATE),
}


def completed_spec(gateway: Gateway) -> dict:
    """The gateway's own OpenAPI spec, with the request body each public endpoint reads."""
    spec = httpx.get(gateway.url + "/openapi.json", timeout=10).json()
    for path, (media_type, schema) in BODIES.items():
        operation = spec["paths"][path]["post"]
        assert "requestBody" not in operation, f"{path} now describes its body: use the spec's"
        operation["requestBody"] = {"required": True, "content": {media_type: {"schema": schema}}}
    return spec


def test_every_public_route_that_reads_a_body_is_fuzzed_with_it(
    messaging_gateway: Gateway,
) -> None:
    """A new public endpoint reading its own body would otherwise be fuzzed with none."""
    spec = httpx.get(messaging_gateway.url + "/openapi.json", timeout=10).json()
    public = {
        path
        for path, operations in spec["paths"].items()
        if "post" in operations and not path.startswith(("/api/", "/internal/", "/staff/"))
    }
    assert public == set(BODIES)


def body_bytes(prepared: requests.PreparedRequest) -> bytes:
    body = prepared.body or b""
    return body.encode("utf-8") if isinstance(body, str) else body


def signed_as_twilio_would(prepared: requests.PreparedRequest) -> dict[str, str]:
    """X-Twilio-Signature for the exact bytes sent, parsed as the gateway parses them."""
    try:
        pairs = parse_qsl(body_bytes(prepared).decode("ascii"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):  # the gateway refuses it before the signature
        pairs = []
    return {"X-Twilio-Signature": twilio_signature(ImmutableMultiDict(pairs))}


def no_signature(prepared: requests.PreparedRequest) -> dict[str, str]:
    return {}


_chats = itertools.count(9_000_001)


def web_chat_answers(gateway: Gateway) -> None:
    """A new person's ordinary message gets Rasa's answer."""
    sender = f"after-fuzz-{next(_chats)}"
    answer = httpx.post(
        gateway.url + "/webhooks/rest/webhook",
        json={"sender": sender, "message": "hello after the fuzz"},
        headers={"x-forwarded-for": new_address()},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert "Echo: hello after the fuzz" in [reply.get("text") for reply in answer.json()]


def follow_up_answers(gateway: Gateway) -> None:
    """A reporter with a real code sees the case and can add a message."""
    case = anonymous_case(gateway)
    headers = {"x-forwarded-for": new_address()}
    sent = httpx.post(
        gateway.url + "/chat/follow-up/messages",
        json={"code": case.code, "message": "still here after the fuzz"},
        headers=headers,
        timeout=30,
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["reference"] == case.reference
    assert [m["text"] for m in sent.json()["messages"]] == ["still here after the fuzz"]


def twilio_answers(gateway: Gateway) -> None:
    """An ordinary signed SMS gets Rasa's answer in TwiML."""
    number = f"+44770080{next(_chats) % 10_000:04d}"
    answer = twilio_post(gateway.url, twilio_params("hello after the fuzz", sender=number))
    assert "Echo: hello after the fuzz" in twiml_messages(answer)


def telegram_answers(gateway: Gateway, telegram_api: StandInTelegram) -> None:
    """An ordinary update is answered in the chat."""
    chat = next(_chats)
    response = telegram_post(gateway.url, text_update(chat, "hello after the fuzz"))
    assert response.status_code == 200, response.text
    assert "Echo: hello after the fuzz" in sent_texts(telegram_api, chat)


@dataclass(frozen=True)
class Endpoint:
    """One public endpoint: what proves a request came from its client, and what proves the
    endpoint still works after the fuzz."""

    path: str
    signed: Callable[[requests.PreparedRequest], dict[str, str]]
    still_works: Callable[[Gateway, StandInTelegram], None]


ENDPOINTS = [
    Endpoint("/webhooks/rest/webhook", no_signature, lambda g, _: web_chat_answers(g)),
    Endpoint("/chat/pending", no_signature, lambda g, _: web_chat_answers(g)),
    Endpoint("/chat/exit", no_signature, lambda g, _: web_chat_answers(g)),
    Endpoint("/chat/follow-up", no_signature, lambda g, _: follow_up_answers(g)),
    Endpoint("/chat/follow-up/messages", no_signature, lambda g, _: follow_up_answers(g)),
    Endpoint("/webhooks/twilio/webhook", signed_as_twilio_would, lambda g, _: twilio_answers(g)),
    Endpoint("/webhooks/telegram/webhook", no_signature, telegram_answers),
]


def fuzz(
    gateway: Gateway,
    spec: dict,
    path: str,
    mode: GenerationMode,
    *,
    headers: dict[str, str],
    cookies: dict[str, str] | None = None,
    signed: Callable[[requests.PreparedRequest], dict[str, str]] = no_signature,
    max_examples: int = MAX_EXAMPLES,
) -> list[requests.Response]:
    """Schemathesis's requests to `POST path`, none answered with a 5xx; the answers."""
    schema = schemathesis.openapi.from_dict(spec)
    [operation] = [
        result.ok() for result in schema.get_all_operations() if result.ok().label == f"POST {path}"
    ]
    http = requests.Session()
    answers = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        kwargs = case.as_transport_kwargs(base_url=gateway.url, headers=headers)
        prepared = requests.Request(**kwargs | {"cookies": cookies or {}}).prepare()
        prepared.headers.update(signed(prepared))
        response = http.send(prepared, timeout=30)
        case.validate_response(response, checks=[not_a_server_error])
        answers.append(response)

    check()
    return answers


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.path)
def test_no_generated_body_gets_a_server_error_and_the_endpoint_still_works(
    messaging_gateway: Gateway,
    telegram_api: StandInTelegram,
    endpoint: Endpoint,
    mode: GenerationMode,
) -> None:
    # One address for the whole run: its throttles may trip, which is a 429, never a 5xx.
    headers = {"x-forwarded-for": new_address(), SECRET_HEADER: TELEGRAM_SECRET}
    spec = completed_spec(messaging_gateway)
    fuzz(messaging_gateway, spec, endpoint.path, mode, headers=headers, signed=endpoint.signed)
    endpoint.still_works(messaging_gateway, telegram_api)


@dataclass(frozen=True)
class StaffAccount:
    email: str
    password: str
    totp_secret: str


def staff_account(gateway: Gateway) -> StaffAccount:
    """A new member of staff in the gateway's own database."""
    settings = gateway.settings
    keys = CaseKeys(keyring=keyring_from(settings), hash_key=hash_key_from(settings))
    email = f"fuzz-{uuid.uuid4().hex[:8]}@landlord.example"
    password = f"a long test passphrase {uuid.uuid4().hex}"
    with session_factory(settings)() as session:
        _, secret = create_user(
            session, keys, email=email, role="caseworker", password=password, now=utcnow()
        )
    return StaffAccount(email, password, secret)


def sign_in_spec(gateway: Gateway, account: StaffAccount, hidden: dict[str, str]) -> dict:
    """The spec with the sign-in form as a browser fills it: the page's hidden fields, and the
    account's own e-mail and password or anything else."""
    spec = completed_spec(gateway)
    properties = {
        "email": {"anyOf": [{"enum": [account.email]}, {"type": "string", "maxLength": 400}]},
        "password": {
            "anyOf": [{"enum": [account.password]}, {"type": "string", "maxLength": 1100}]
        },
        "code": {"type": "string", "maxLength": 20},
    } | {name: {"enum": [value]} for name, value in hidden.items()}
    schema = {"type": "object", "properties": properties, "required": list(properties)}
    content = {FORM: {"schema": schema | {"additionalProperties": False}}}
    spec["paths"][SIGN_IN]["post"]["requestBody"] = {"required": True, "content": content}
    return spec


def signs_in(gateway: Gateway, account: StaffAccount, *, code: str | None = None) -> httpx.Response:
    """A sign-in with the account's password from a browser and an address of its own, with
    `code` (by default the current one)."""
    headers = {"x-forwarded-for": new_address()}
    with httpx.Client(base_url=gateway.url, headers=headers, timeout=30) as browser:
        hidden, cookies = browser_state(browser.get(SIGN_IN))
        details = {
            "email": account.email,
            "password": account.password,
            "code": pyotp.TOTP(account.totp_secret).now() if code is None else code,
        }
        return browser.post(SIGN_IN, data=details | hidden, cookies=cookies)


def what_it_says(answer: httpx.Response) -> tuple[int, str]:
    """The status and the page's message (numbers aside: a wait is counted down)."""
    alert = re.search(r'role="alert"[^>]*>(.*?)</div>', answer.text, re.S)
    return answer.status_code, re.sub(r"\d+", "N", alert.group(1) if alert else "")


@example(code="caf\u00e9")  # the 500 that confirmed a password (issue 10)
@example(code="\uff11\uff12\uff13\uff14\uff15\uff16")  # full-width digits
@example(code="")
@given(code=st.text(max_size=14) | st.from_regex(r"\A[0-9 ]{5,8}\Z"))
@settings(max_examples=3, deadline=None, derandomize=True, database=None)
def test_the_right_password_with_any_wrong_code_is_answered_as_a_wrong_password(
    messaging_gateway: Gateway, code: str
) -> None:
    """A new account and an address never used, so each try is the first failure of its own
    account and address, and no throttle's state tells them apart."""
    right = staff_account(messaging_gateway)
    assume(code.replace(" ", "") != pyotp.TOTP(right.totp_secret).now())
    nobody = StaffAccount(f"nobody-{uuid.uuid4().hex[:8]}@landlord.example", "not it", "")
    with_the_password = signs_in(messaging_gateway, right, code=code)
    without_it = signs_in(messaging_gateway, nobody, code=code)
    assert with_the_password.status_code == 401
    assert what_it_says(with_the_password) == what_it_says(without_it)


@pytest.mark.parametrize("mode", MODES)
def test_no_sign_in_gets_a_server_error_or_gets_in_without_the_code_and_staff_still_sign_in(
    messaging_gateway: Gateway, mode: GenerationMode
) -> None:
    account = staff_account(messaging_gateway)
    headers = {"x-forwarded-for": new_address()}
    page = httpx.get(messaging_gateway.url + SIGN_IN, headers=headers, timeout=30)
    hidden, cookies = browser_state(page)
    spec = sign_in_spec(messaging_gateway, account, hidden)
    answers = fuzz(
        messaging_gateway,
        spec,
        SIGN_IN,
        mode,
        headers=headers,
        cookies=cookies,
        max_examples=SIGN_IN_EXAMPLES,  # each wrong password is a deliberately slow hash
    )
    assert all(answer.status_code != 303 for answer in answers), "signed in without the code"

    signed_in = signs_in(messaging_gateway, staff_account(messaging_gateway))
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == "/staff/queue"
