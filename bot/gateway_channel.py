"""Rasa's input channel for the gateway: the REST protocol plus metadata that picks the wording.

The gateway (`channels/`) is Rasa's only client. It posts
`{"sender", "message", "metadata": {"channel", "wording"}}` to `POST /webhooks/gateway/webhook`
and gets the REST channel's reply list (`recipient_id`, `text`, `buttons`, `custom`).

`metadata.wording` names the output channel, and Rasa chooses response variations by that name:
`discreet` (messaging default: no alarming words on a phone someone else may read), `plain`
(messaging, the person asked for plain wording) or `web` (anything else). The metadata is kept on
the user event, where the actions read `channel`.

Unlike Rasa's RestInput, nothing here logs what the person wrote or who they are: a failure is
logged by exception type and place only.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

structlogger = structlog.get_logger()

DEFAULT_WORDING = "web"


class WebOutput(CollectingOutputChannel):
    """Collects replies in the web wording (the domain's default variations)."""

    @classmethod
    def name(cls) -> str:
        return "web"


class DiscreetOutput(CollectingOutputChannel):
    """Collects replies in the discreet wording (`channel: discreet` variations)."""

    @classmethod
    def name(cls) -> str:
        return "discreet"


class PlainOutput(CollectingOutputChannel):
    """Collects replies in the plain messaging wording (`channel: plain` variations)."""

    @classmethod
    def name(cls) -> str:
        return "plain"


OUTPUTS: dict[str, type[CollectingOutputChannel]] = {
    output.name(): output for output in (WebOutput, DiscreetOutput, PlainOutput)
}


def output_for(metadata: Any) -> CollectingOutputChannel:
    """A fresh collector named after `metadata["wording"]`; the web wording for anything else."""
    wording = metadata.get("wording") if isinstance(metadata, dict) else None
    output = OUTPUTS.get(wording) if isinstance(wording, str) else None
    return (output or OUTPUTS[DEFAULT_WORDING])()


def _where(exc: BaseException) -> str:
    """Module, function and line where the exception was raised: no message, no values."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.name}:{last.lineno}"


class GatewayInput(RestInput):
    """REST's webhook at `/webhooks/gateway/webhook`, replies worded by the request's metadata."""

    @classmethod
    def name(cls) -> str:
        return "gateway"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        gateway_webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @gateway_webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @gateway_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # Sanic raises on a body that is not JSON
                body = None
            sender = body.get("sender") if isinstance(body, dict) else None
            text = body.get("message") if isinstance(body, dict) else None
            metadata = body.get("metadata") if isinstance(body, dict) else None
            if not isinstance(sender, str) or not sender or not isinstance(text, str):
                # Never echo the body: it may hold a disclosure.
                return response.json({"error": "expected sender and message strings"}, 400)
            if metadata is not None and not isinstance(metadata, dict):
                return response.json({"error": "metadata must be an object"}, 400)

            collector = output_for(metadata)
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        sender,
                        input_channel=self.name(),
                        metadata=metadata,
                    )
                )
            except asyncio.CancelledError:
                structlogger.error("gateway.turn.cancelled")  # no values: never the text
            except Exception as exc:
                # Type and place only: an exception's message or traceback may quote the text.
                structlogger.error(
                    "gateway.turn.failed",
                    error_type=type(exc).__name__,
                    where=_where(exc),
                )
            return response.json(collector.messages)

        return gateway_webhook
