"""FastAPI dependencies of the messaging channels: the process's one `Conversations`."""

from __future__ import annotations

from fastapi import HTTPException, Request

from channels.messaging.conversation import Conversations


def get_conversations(request: Request) -> Conversations:
    """Made by the app's lifespan (`channels.messaging.service`); 503 when it could not be.

    Only missing or broken keys leave it unmade (logged at start-up): nothing could be stored.
    """
    conversations = getattr(request.app.state, "conversations", None)
    if conversations is None:
        raise HTTPException(503, "Messaging is unavailable: the gateway's keys are not set up.")
    return conversations
