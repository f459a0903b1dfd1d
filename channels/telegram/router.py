"""Telegram: the bot's webhook, for private chats only.

Order: the secret header (compared in constant time; 403), a size-capped JSON body parsed into
python-telegram-bot's own `Update` (4xx if it is not one), then quick exit (/exit, "exit" or
the Exit button: every message of the chat is deleted from the phone and everything stored
about it goes), then the shared conversation turn. Groups and channels are ignored: a report
is never taken where others can read it. Telegram gets 200 for every update it may not retry.
An update_id seen before, even months ago, is dropped (`Conversations.first_sight`, or the
turn's own record): a re-delivery, or a captured request replayed. Not a check that ids only
grow: Telegram starts them afresh at random after a week without updates.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from telegram import Chat, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from api.org.profile import OrgProfile, get_profile
from api.settings import Settings, current_settings
from channels import safety
from channels.messaging import texts
from channels.messaging.conversation import Conversations
from channels.messaging.dependencies import get_conversations
from channels.messaging.inbox import Delivery
from channels.messaging.replies import Reply
from channels.request_body import read_limited
from channels.telegram.config import missing_settings
from channels.telegram.sending import EXIT_CALLBACK, TelegramSender

log = logging.getLogger("quietdoor.channels.telegram")

router = APIRouter(tags=["telegram"])

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_UPDATE_BYTES = 64 * 1024  # a 4096-character message with its entities fits easily


def get_telegram_sender(request: Request) -> TelegramSender:
    sender = getattr(request.app.state, "telegram", None)
    if sender is None:
        raise HTTPException(404, "The Telegram channel is not configured.")
    return sender


async def authentic_update(
    request: Request, settings: Annotated[Settings, Depends(current_settings)]
) -> dict:
    """FastAPI dependency: the update's JSON, from a request that carries our secret."""
    if missing_settings(settings) or settings.telegram_secret_token is None:
        raise HTTPException(404, "The Telegram channel is not configured.")
    expected = settings.telegram_secret_token.get_secret_value().encode()
    given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
    if not hmac.compare_digest(given, expected):
        raise HTTPException(403, "Forbidden.")
    body = await read_limited(
        request, media_type="application/json", limit=MAX_UPDATE_BYTES, what="update"
    )
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise HTTPException(400, "The update is not valid JSON.") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "The update must be a JSON object.")
    return data


@router.post("/webhooks/telegram/webhook")
async def telegram_webhook(
    data: Annotated[dict, Depends(authentic_update)],
    sender: Annotated[TelegramSender, Depends(get_telegram_sender)],
    conversations: Annotated[Conversations, Depends(get_conversations)],
    profile: Annotated[OrgProfile, Depends(get_profile)],
) -> Response:
    try:
        update = Update.de_json(data, sender.bot)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):  # date past 9999
        raise HTTPException(400, "The body is not a Telegram update.") from None
    try:
        await _handle(update, sender, conversations, profile)
    except TelegramError as error:  # blocked by the user, say: nothing to retry
        log.warning("telegram update answered partly (%s)", type(error).__name__)
    return Response(status_code=200)


async def _handle(
    update: Update, sender: TelegramSender, conversations: Conversations, profile: OrgProfile
) -> None:
    incoming_id: int | None = None
    if update.callback_query is not None:
        query = update.callback_query
        await sender.bot.answer_callback_query(query.id)
        if query.message is None:
            return
        chat, text = query.message.chat, query.data or ""
    elif update.message is not None:
        chat, text, incoming_id = (
            update.message.chat,
            update.message.text,
            update.message.message_id,
        )
    else:
        return  # edits, reactions, member changes: nothing to answer
    # Update.de_json checks no types: a chat, id or text of another type would fail later
    if not (
        isinstance(chat, Chat)
        and isinstance(chat.id, int)
        and isinstance(incoming_id, int | None)
        and isinstance(text, str | None)
    ):
        raise HTTPException(400, "The body is not a Telegram update.")
    if chat.type != ChatType.PRIVATE:
        return

    pseudonym = conversations.pseudonym("telegram", str(chat.id))
    if incoming_id is not None:
        await sender.remember(pseudonym, [incoming_id])
    leaving = text == EXIT_CALLBACK or bool(text and safety.is_exit(text))
    delivery = Delivery("telegram", str(chat.id), str(update.update_id), text or "")
    # A turn is deduplicated where it is recorded; these are answered here, so they are here.
    if (leaving or not text) and not await conversations.first_sight(delivery):
        return  # seen before: Telegram's re-delivery, or a captured request replayed
    if leaving:
        await sender.delete_chat(chat.id, pseudonym, also=[incoming_id] if incoming_id else [])
        await conversations.forget(pseudonym)
        return
    if not text:
        await sender.send_to_chat(chat.id, pseudonym, [Reply(texts.line(profile, "text_only"))])
        return

    if incoming_id is not None:  # typed, not a button's payload
        delivery = replace(delivery, text=_command_as_text(text))
    turn = await conversations.receive(delivery)
    try:
        if turn.replies:
            await sender.send_to_chat(chat.id, pseudonym, turn.replies)
    finally:
        turn.given()  # a follow-up (emergency, or Rasa slow) may now be sent


def _command_as_text(text: str) -> str:
    """/start opens the chat with a greeting; other commands are read as words ("/help")."""
    word = text.strip()
    if word.split("@")[0] == "/start":
        return "/greet"
    if word.startswith("/") and word[1:].replace("_", "").isalnum():
        return word[1:].split("@")[0].replace("_", " ")
    return text
