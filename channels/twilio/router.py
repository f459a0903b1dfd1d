"""SMS and WhatsApp: Twilio's webhook, answered with TwiML.

One endpoint for both: WhatsApp senders arrive as `whatsapp:+44...`. Order: the signature
(`signature.signed_form`), then Twilio's own opt-out words (STOP ... : Twilio answers and blocks
further texts; we forget the contact), then quick exit (forget, and one neutral line on
deleting the thread), then the shared conversation turn. No number or text is ever logged.
A MessageSid seen before, even months ago, is dropped: Twilio's retry, or a captured signed
request replayed (Twilio signs no timestamp, so the ids are remembered for good).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.datastructures import ImmutableMultiDict

from api import metrics
from api.org.profile import OrgProfile, get_profile
from channels import safety
from channels.messaging import texts
from channels.messaging.conversation import Conversations
from channels.messaging.dependencies import get_conversations
from channels.messaging.inbox import Delivery
from channels.messaging.replies import Reply
from channels.twilio.signature import signed_form
from channels.twilio.twiml import twiml

router = APIRouter(tags=["sms and whatsapp"])

#: Twilio's default opt-out and opt-in/help keywords; Twilio itself answers these on SMS.
OPT_OUT_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
TWILIO_ANSWERS_WORDS = frozenset({"start", "unstop", "help", "info"})
MAX_ID_CHARS = 64


@router.post("/webhooks/twilio/webhook")
async def twilio_webhook(
    request: Request,
    form: Annotated[ImmutableMultiDict[str, str], Depends(signed_form)],
    conversations: Annotated[Conversations, Depends(get_conversations)],
    profile: Annotated[OrgProfile, Depends(get_profile)],
) -> Response:
    delivery = _delivery(form)
    metrics.set_channel(request, delivery.channel)
    pseudonym = conversations.pseudonym(delivery.channel, delivery.address)
    keyword = delivery.text.strip().lower()
    sms = delivery.channel == "sms"
    opted_out = sms and (form.get("OptOutType", "").upper() == "STOP" or keyword in OPT_OUT_WORDS)
    twilio_answers = sms and (bool(form.get("OptOutType")) or keyword in TWILIO_ANSWERS_WORDS)
    leaving = safety.is_exit(delivery.text)
    no_text = not delivery.text.strip()

    # A turn is deduplicated where it is recorded; these are answered here, so they are here.
    if (opted_out or twilio_answers or leaving or no_text) and not (
        await conversations.first_sight(delivery)
    ):
        return twiml([])  # seen before: Twilio's retry, or a captured request replayed
    if opted_out:
        await conversations.forget(pseudonym)
        return twiml([])
    if twilio_answers:
        return twiml([])
    if leaving:
        await conversations.forget(pseudonym)
        return twiml([Reply(texts.line(profile, "sms_exit"))])
    if no_text:
        media = form.get("NumMedia", "0")
        return twiml([Reply(texts.line(profile, "text_only"))] if media not in ("", "0") else [])

    turn = await conversations.receive(delivery)
    answer = twiml(turn.replies)
    turn.given()
    return answer


def _delivery(form: ImmutableMultiDict[str, str]) -> Delivery:
    """The message in Twilio's parameters; 400 if a parameter Twilio always sends is missing."""
    message_sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    sender = form.get("From", "")
    if not message_sid or not sender or len(message_sid) > MAX_ID_CHARS:
        raise HTTPException(400, "MessageSid and From are required.")
    channel = "whatsapp" if sender.startswith("whatsapp:") else "sms"
    return Delivery(
        channel=channel,
        address=sender,
        delivery_id=message_sid,
        text=form.get("Body", ""),
        reply_from=form.get("To") or None,
    )
