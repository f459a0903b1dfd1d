"""The web chat: the page, its three assets, the message endpoint and the quick-exit wipe.

Follow-up with a code (channels/web/follow_up.py) is included here, so the app needs no line.

Order for every message: (a) an exit word tells the page to leave at once and the conversation
is wiped in the background; (b) a message over a rate limit (channels/web/limits.py) gets 429
with plain words the page shows, and stays in the message box, unless it shows danger now, which
is never refused; (c) danger now (or the "I'm in danger now" button) gets the emergency
numbers at once, without waiting for Rasa; (d) everything else waits for Rasa at most
`QD_CHAT_WAIT_SECONDS`, then gets a holding reply with the numbers. Every message still reaches
Rasa, in order (channels/web/pending.py), and a reply that comes late reaches the page through
`POST /chat/pending` or at the front of the next answer, once. If Rasa is down the person still
gets the numbers and an honest sentence that nothing was saved (SECURITY.md 17). No message
text or sender id is ever logged.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from api import metrics
from api.org.profile import OrgProfile, get_profile
from api.settings import Settings, current_settings
from channels import safety
from channels.danger.assess import Danger, assess_async
from channels.rasa_client import RasaClient, RasaUnavailable, close_shared_clients, shared_client
from channels.web.follow_up import router as follow_up_router
from channels.web.limits import (
    ChatLimits,
    Refusal,
    WebChatLimits,
    counted_address,
    report_address_key,
)
from channels.web.pending import Reply, Turn, WebTurns, kind
from channels.web.privacy import router as privacy_router
from channels.web.schemas import ChatMessage, ExitRequest, PendingRequest, read_json
from channels.web.templates import STATIC_DIR, page_title, templates

log = logging.getLogger("quietdoor.channels.web")

_ASSETS = {
    "exit.js": "text/javascript; charset=utf-8",
    "chat.js": "text/javascript; charset=utf-8",
    "chat.css": "text/css; charset=utf-8",
}

EXIT_TEXT = "Chat closed."
EMERGENCY_PAYLOAD = "/emergency"
"""The "I'm in danger now" button."""
WAITING_TEXT = (
    "Your message has reached us. The answer is slow right now and will appear here, "
    "so you don't need to send it again."
)
_UNAVAILABLE_TYPED = "It is still in the message box, so you can press Try again in a moment."
_UNAVAILABLE_BUTTON = "Please press Try again in a moment."
_UNAVAILABLE_LATE = "Please send your last message again in a moment."
REFUSED_TEXT = {
    Refusal.TOO_FAST: (
        "You're sending messages faster than we can read them; wait a few seconds and send it "
        "again. In an emergency call 999."
    ),
    Refusal.TOO_MANY_CONVERSATIONS: (
        "Too many new chats have been started from this connection in the last hour, so we "
        "can't start another one just now. Please try again later. In an emergency call 999."
    ),
}
"""What the page shows for a refused message (it keeps the text in the message box)."""


@asynccontextmanager
async def _web_chat_lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.web_turns = WebTurns()
    app.state.web_limits = WebChatLimits()
    yield
    await app.state.web_turns.aclose()
    await close_shared_clients()


router = APIRouter(lifespan=_web_chat_lifespan, tags=["web chat"])
router.include_router(follow_up_router)  # POST /chat/follow-up, /chat/follow-up/messages
router.include_router(privacy_router)  # GET /privacy


async def rasa_client(settings: Annotated[Settings, Depends(current_settings)]) -> RasaClient:
    """FastAPI dependency: the pooled Rasa client (tests may override it)."""
    return shared_client(
        settings.rasa_url, settings.rasa_token.get_secret_value(), settings.rasa_timeout_seconds
    )


async def web_turns(request: Request) -> WebTurns:
    """FastAPI dependency: this app's turns in flight and late replies (one per process).

    Async, so FastAPI calls it on the event loop: a worker thread would cost every message, the
    emergency one too, another wait for the loop to take the answer back.
    """
    return request.app.state.web_turns


async def web_limits(request: Request) -> WebChatLimits:
    """FastAPI dependency: this process's web chat rate limits (async: see `web_turns`)."""
    return request.app.state.web_limits


SettingsDep = Annotated[Settings, Depends(current_settings)]
ProfileDep = Annotated[OrgProfile, Depends(get_profile)]
RasaDep = Annotated[RasaClient, Depends(rasa_client)]
TurnsDep = Annotated[WebTurns, Depends(web_turns)]
LimitsDep = Annotated[WebChatLimits, Depends(web_limits)]


@router.get("/", response_class=HTMLResponse)
def chat_page(profile: ProfileDep, settings: SettingsDep) -> HTMLResponse:
    """The chat page; the exit address, idle time and no-JavaScript help are filled in here."""
    helplines = profile.helplines_for("general", profile.nation)
    html = templates.get_template("index.html").render(
        title=page_title(profile),
        heading=profile.wording.get("page_heading", "Talk to us in confidence"),
        org_name=profile.name,
        exit_url=profile.exit_url,
        online_safety_url=profile.online_safety_url,
        emergency_text=safety.emergency_text(profile),
        helpline=helplines[0] if helplines else None,
        idle_seconds=settings.chat_idle_seconds,
    )
    return HTMLResponse(html)


@router.get("/chat/{name}")
def chat_asset(name: str) -> Response:
    """exit.js, chat.js and chat.css, and nothing else from the folder (no directory serving)."""
    if name not in _ASSETS:
        return JSONResponse({"detail": "Not found."}, status_code=404)
    return Response((STATIC_DIR / name).read_bytes(), media_type=_ASSETS[name])


@router.post("/webhooks/rest/webhook")
async def webhook(
    request: Request,
    profile: ProfileDep,
    settings: SettingsDep,
    rasa: RasaDep,
    turns: TurnsDep,
    limits: LimitsDep,
) -> JSONResponse:
    """Rasa's REST channel protocol, with quick exit, rate limits, emergency words and the
    safety net."""
    chat = await read_json(request, ChatMessage)
    sender = chat.sender
    if safety.is_exit(chat.message):
        turns.exit(rasa, sender)
        return JSONResponse([_reply(sender, EXIT_TEXT, "exit")])

    danger = await assess_async(chat.message)
    emergency = danger is Danger.NOW or chat.message.strip() == EMERGENCY_PAYLOAD
    host = _counted_host(request, settings)
    refusal = limits.admit(sender, host, ChatLimits.from_settings(settings), always=emergency)
    if refusal is not None:
        log.debug("web chat message refused: %s", refusal.value)  # a flood must not flood the log
        return JSONResponse({"detail": REFUSED_TEXT[refusal]}, status_code=429)
    if turns.busy(sender):
        log.warning("safety net answered: too many messages waiting for Rasa")
        metrics.safety_net_answered("web", "not_taken")
        return JSONResponse(_safety_net(chat, profile, emergency_first=emergency))

    turn = Turn(sender, failure_reply=_late_not_taken(sender))
    if emergency:  # Rasa's own emergency answer would say it twice
        turn.drop_kind, turn.handed_off = "emergency", True
    address_key = None if host is None else report_address_key(settings, host)
    task = turns.start(turn, lambda: rasa.send(sender, chat.message, address_key=address_key))
    if emergency:
        metrics.safety_net_answered("web", "emergency")
        numbers = _reply(sender, safety.emergency_text(profile), "emergency", pending=True)
        return JSONResponse([numbers, *turns.take(sender)])

    try:
        replies = await _answer_in_time(turns, turn, task, settings.chat_wait_seconds)
    except RasaUnavailable as error:
        log.warning("safety net answered: %s", error)
        metrics.safety_net_answered("web", "not_taken")
        return JSONResponse([*turns.take(sender), *_safety_net(chat, profile)])
    if replies is None:
        log.info("holding reply: Rasa is slow")
        metrics.safety_net_answered("web", "holding")
        waiting = _reply(sender, WAITING_TEXT, "waiting", pending=True)
        numbers = _reply(sender, safety.emergency_text(profile), "emergency")
        return JSONResponse([*turns.take(sender), waiting, numbers])
    if danger is Danger.POSSIBLE and not any(kind(r) == "emergency" for r in replies):
        replies = [*replies, _reply(sender, safety.reminder_text(), "reminder")]
    return JSONResponse([*turns.take(sender), *replies])


@router.post("/chat/pending")
async def chat_pending(request: Request, turns: TurnsDep) -> JSONResponse:
    """Replies Rasa gave after the answer went (each given once), and whether more may come."""
    pending = await read_json(request, PendingRequest)
    replies = turns.take(pending.sender)
    return JSONResponse({"replies": replies, "pending": turns.in_flight(pending.sender)})


@router.post("/chat/exit", status_code=204)
async def chat_exit(request: Request, rasa: RasaDep, turns: TurnsDep) -> Response:
    """Quick exit from the page (sendBeacon): answered at once, the wipe runs in the background
    with retries (a wipe that cannot be done is logged; the conversation expires anyway)."""
    exit_request = await read_json(request, ExitRequest)
    turns.exit(rasa, exit_request.sender)
    return Response(status_code=204)


def _counted_host(request: Request, settings: Settings) -> str | None:
    """The client's address for the per-address limits and the report cap, or None when it is
    a reverse proxy's that QD_FORWARDED_ALLOW_IPS does not name (see `counted_address`)."""
    host = request.client.host if request.client else ""
    counted = counted_address(
        host,
        forwarded="x-forwarded-for" in request.headers,
        proxy_configured=bool(settings.forwarded_allow_ips.strip()),
    )
    if counted is None:
        _warn_unconfigured_proxy()
    return counted


@functools.cache
def _warn_unconfigured_proxy() -> None:
    """Once per process: the operator must name the proxy for the per-address limits to work."""
    log.warning(
        "web chat behind a proxy not named in QD_FORWARDED_ALLOW_IPS: limited by sender only, "
        "and reports are not capped by address"
    )


async def _answer_in_time(
    turns: WebTurns, turn: Turn, task: asyncio.Task[list[Reply]], wait_seconds: float
) -> list[Reply] | None:
    """Rasa's replies if they come within `wait_seconds`, else None (they will be kept)."""
    try:
        return await asyncio.wait_for(asyncio.shield(task), wait_seconds)
    except TimeoutError:
        return turns.hand_off(turn, task)
    except asyncio.CancelledError:  # the request went away: keep the replies for the page
        turns.hand_off(turn, task)
        raise


def _safety_net(
    chat: ChatMessage, profile: OrgProfile, *, emergency_first: bool = False
) -> list[Reply]:
    """Emergency numbers, the national helpline, and what happened to the message."""
    follow_up = _UNAVAILABLE_BUTTON if chat.message.startswith("/") else _UNAVAILABLE_TYPED
    not_taken = _reply(chat.sender, f"{safety.not_taken_text()} {follow_up}", "unavailable")
    numbers = _reply(chat.sender, safety.emergency_text(profile), "emergency")
    return [numbers, not_taken] if emergency_first else [not_taken, numbers]


def _late_not_taken(sender: str) -> Reply:
    """Kept for the page when Rasa fails after the answer went (the numbers were given then)."""
    return _reply(sender, f"{safety.not_taken_text()} {_UNAVAILABLE_LATE}", "unavailable")


def _reply(sender: str, text: str, kind: str, *, pending: bool = False) -> Reply:
    """One gateway reply; `pending` tells the page that Rasa's answer will follow."""
    custom: dict[str, Any] = {"quietdoor": kind}
    if pending:
        custom["pending"] = True
    return {"recipient_id": sender, "text": text, "custom": custom}
