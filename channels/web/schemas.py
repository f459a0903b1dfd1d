"""What the chat page may send, and a strict reader for it (SECURITY.md 16).

Bodies are read with a size cap, must be UTF-8 JSON, and must match the model exactly: unknown
fields, wrong types and oversize text get a clear 4xx. Error details never echo what was sent.
"""

from __future__ import annotations

import json
from typing import Annotated, TypeVar

from fastapi import HTTPException, Request
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, field_validator

MAX_BODY_BYTES = 16 * 1024
MAX_MESSAGE_CHARS = 2000

Sender = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


class ExitRequest(BaseModel):
    """`POST /chat/exit`: which conversation to delete."""

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
        """JSON can carry lone surrogates ("\\ud800"); they are not text and cannot be sent on."""
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("message must be valid Unicode text") from None
        return value


Model = TypeVar("Model", bound=BaseModel)


async def read_json(request: Request, model: type[Model]) -> Model:
    """Read the body as `model`, or raise a 4xx that says what is wrong."""
    media_type, _, params = request.headers.get("content-type", "").partition(";")
    if media_type.strip().lower() != "application/json":
        raise HTTPException(415, "Send the message as application/json.")
    charset = params.strip().lower().removeprefix("charset=").strip('"') if params.strip() else ""
    if charset not in ("", "utf-8", "utf8"):
        raise HTTPException(415, "Send the message as UTF-8.")

    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(413, f"The message is too large (limit {MAX_BODY_BYTES} bytes).")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(413, f"The message is too large (limit {MAX_BODY_BYTES} bytes).")

    try:
        data = json.loads(bytes(body).decode("utf-8"))
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
