"""Replies as TwiML: one <Message> per reply, choices as numbered lines."""

from __future__ import annotations

from fastapi import Response
from twilio.twiml.messaging_response import MessagingResponse

from channels.messaging.replies import Reply, numbered


def twiml(replies: list[Reply]) -> Response:
    """A TwiML answer; with no replies, an empty <Response/> (Twilio sends nothing)."""
    response = MessagingResponse()
    for reply in replies:
        response.message(numbered(reply))
    return Response(str(response), media_type="application/xml")
