"""FastAPI dependencies of the messaging channels: the process's one `Conversations`."""

from __future__ import annotations

from fastapi import HTTPException, Request

from channels.messaging.conversation import Conversations


def get_conversations(request: Request) -> Conversations:
    """Made by the app's lifespan (`channels.messaging.service`); 503 before it exists."""
    conversations = getattr(request.app.state, "conversations", None)
    if conversations is None:
        raise HTTPException(503, "Messaging is starting; try again in a moment.")
    return conversations
