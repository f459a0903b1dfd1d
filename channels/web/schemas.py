"""What the chat page may send, and a strict reader for it (SECURITY.md 16).

Bodies are read with a size cap, must be UTF-8 JSON, and must match the model exactly: unknown
fields, wrong types and oversize text get a clear 4xx. Error details never echo what was sent.
"""

from __future__ import annotations

import json
from typing import Annotated, TypeVar

from fastapi import HTTPException, Request
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationError,
    field_validator,
)

from channels.request_body import read_limited
from contract.report import CHANNELS

MAX_MESSAGE_CHARS = 2000
MAX_FOLLOW_UP_CODE_CHARS = 40

#: The forms messaging conversations take in Rasa ("sms-3f9c...": channels/messaging/pseudonym.py).
RESERVED_SENDER_PREFIXES = tuple(f"{channel}-" for channel in CHANNELS if channel != "web")


def _not_a_messaging_pseudonym(sender: str) -> str:
    """A web page may not name an SMS, WhatsApp or Telegram conversation: it could post into it
    or wipe it (the gateway and Rasa know a messaging contact only by that pseudonym)."""
    if sender.startswith(RESERVED_SENDER_PREFIXES):
        raise ValueError("this sender id is reserved")
    return sender


Sender = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$"),
    AfterValidator(_not_a_messaging_pseudonym),
]


def _valid_unicode(value: str, what: str) -> str:
    """Lone surrogates ("\\ud800") can arrive in JSON: not text, so never hashed or sealed."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} must be valid Unicode text") from None
    return value


class ExitRequest(BaseModel):
    """`POST /chat/exit`: which conversation to delete."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sender: Sender


class PendingRequest(BaseModel):
    """`POST /chat/pending`: whose late replies to collect."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sender: Sender


class ChatMessage(BaseModel):
    """`POST /webhooks/rest/webhook`: Rasa's REST channel body, and nothing more."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sender: Sender
    message: Annotated[str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_CHARS)]

    @field_validator("message")
    @classmethod
    def _encodable(cls, value: str) -> str:
        return _valid_unicode(value, "message")


FollowUpCode = Annotated[str, StringConstraints(min_length=1, max_length=MAX_FOLLOW_UP_CODE_CHARS)]


class FollowUpRequest(BaseModel):
    """`POST /chat/follow-up`: an anonymous reporter's follow-up code, nothing more."""

    model_config = ConfigDict(extra="forbid", strict=True)

    code: FollowUpCode

    @field_validator("code")
    @classmethod
    def _encodable(cls, value: str) -> str:
        return _valid_unicode(value, "code")


class FollowUpMessageRequest(BaseModel):
    """`POST /chat/follow-up/messages`: the code again (never kept by the server) and a message."""

    model_config = ConfigDict(extra="forbid", strict=True)

    code: FollowUpCode
    message: Annotated[str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_CHARS)]

    @field_validator("code")
    @classmethod
    def _encodable_code(cls, value: str) -> str:
        return _valid_unicode(value, "code")

    @field_validator("message")
    @classmethod
    def _encodable_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message must not be only spaces")
        return _valid_unicode(value, "message")


Model = TypeVar("Model", bound=BaseModel)


async def read_json(request: Request, model: type[Model]) -> Model:
    """Read the body as `model`, or raise a 4xx that says what is wrong."""
    body = await read_limited(request, media_type="application/json")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise HTTPException(400, "The message is not valid UTF-8.") from None
    except (ValueError, RecursionError):
        raise HTTPException(400, "The message is not valid JSON.") from None

    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [
            {"field": ".".join(str(part) for part in e["loc"]) or "body", "problem": e["msg"]}
            for e in error.errors(include_url=False, include_input=False)
        ]
        raise HTTPException(422, problems) from None
