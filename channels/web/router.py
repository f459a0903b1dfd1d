"""The web chat: the page, its three assets, the message endpoint and the quick-exit wipe.

Follow-up with a code (channels/web/follow_up.py) is included here, so the app needs no line.

Order for every message: (a) an exit word wipes the conversation and tells the page to leave;
(b) emergency words make sure the emergency numbers come first, exactly once; (c) everything
goes to Rasa. If Rasa is down the person still gets the numbers and an honest sentence that
nothing was saved (SECURITY.md 17). No message text or sender id is ever logged.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from api.org.profile import OrgProfile, get_profile
from api.settings import Settings, get_settings
from channels import safety
from channels.danger.assess import Danger, assess
from channels.rasa_client import RasaClient, RasaUnavailable, close_shared_clients, shared_client
from channels.web.follow_up import router as follow_up_router
from channels.web.privacy import router as privacy_router
from channels.web.schemas import ChatMessage, ExitRequest, read_json
from channels.web.templates import STATIC_DIR, page_title, templates

log = logging.getLogger("quietdoor.channels.web")

_ASSETS = {
    "exit.js": "text/javascript; charset=utf-8",
    "chat.js": "text/javascript; charset=utf-8",
    "chat.css": "text/css; charset=utf-8",
}

EXIT_TEXT = "Chat closed."
_UNAVAILABLE_TYPED = "It is still in the message box, so you can press Try again in a moment."
_UNAVAILABLE_BUTTON = "Please press Try again in a moment."


@asynccontextmanager
async def _close_pooled_clients(app: FastAPI) -> AsyncIterator[None]:
    yield
    await close_shared_clients()


router = APIRouter(lifespan=_close_pooled_clients, tags=["web chat"])
router.include_router(follow_up_router)  # POST /chat/follow-up, /chat/follow-up/messages
router.include_router(privacy_router)  # GET /privacy


async def rasa_client(settings: Annotated[Settings, Depends(get_settings)]) -> RasaClient:
    """FastAPI dependency: the pooled Rasa client (tests may override it)."""
    return shared_client(
        settings.rasa_url, settings.rasa_token.get_secret_value(), settings.rasa_timeout_seconds
    )


SettingsDep = Annotated[Settings, Depends(get_settings)]
ProfileDep = Annotated[OrgProfile, Depends(get_profile)]
RasaDep = Annotated[RasaClient, Depends(rasa_client)]


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
async def webhook(request: Request, profile: ProfileDep, rasa: RasaDep) -> JSONResponse:
    """Rasa's REST channel protocol, with quick exit, emergency words and the safety net."""
    chat = await read_json(request, ChatMessage)
    if safety.is_exit(chat.message):
        await _wipe_quietly(rasa, chat.sender)
        return JSONResponse([_reply(chat.sender, EXIT_TEXT, "exit")])

    danger = assess(chat.message)
    emergency = danger is Danger.NOW
    try:
        replies = await rasa.send(chat.sender, chat.message)
    except RasaUnavailable as error:
        log.warning("safety net answered: %s", error)
        return JSONResponse(_safety_net(chat, profile, emergency_first=emergency))

    if emergency and not any(_kind(r) == "emergency" for r in replies):
        replies = [_reply(chat.sender, safety.emergency_text(profile), "emergency"), *replies]
    elif danger is Danger.POSSIBLE and not any(_kind(r) == "emergency" for r in replies):
        replies = [*replies, _reply(chat.sender, safety.reminder_text(), "reminder")]
    return JSONResponse(replies)


@router.post("/chat/exit", status_code=204)
async def chat_exit(request: Request, rasa: RasaDep) -> Response:
    """Quick exit from the page (sendBeacon): delete the server-side conversation."""
    exit_request = await read_json(request, ExitRequest)
    try:
        await rasa.wipe(exit_request.sender)
    except RasaUnavailable as error:
        log.warning("quick exit: conversation not wiped, it will expire: %s", error)
        return JSONResponse(
            {"detail": "The conversation could not be deleted now; it expires on its own."},
            status_code=503,
        )
    return Response(status_code=204)


def _safety_net(chat: ChatMessage, profile: OrgProfile, *, emergency_first: bool) -> list[dict]:
    """Emergency numbers, the national helpline, and what happened to the message."""
    follow_up = _UNAVAILABLE_BUTTON if chat.message.startswith("/") else _UNAVAILABLE_TYPED
    not_taken = _reply(chat.sender, f"{safety.not_taken_text()} {follow_up}", "unavailable")
    numbers = _reply(chat.sender, safety.emergency_text(profile), "emergency")
    return [numbers, not_taken] if emergency_first else [not_taken, numbers]


async def _wipe_quietly(rasa: RasaClient, sender: str) -> None:
    try:
        await rasa.wipe(sender)
    except RasaUnavailable as error:
        log.warning("exit word: conversation not wiped, it will expire: %s", error)


def _reply(sender: str, text: str, kind: str) -> dict[str, Any]:
    return {"recipient_id": sender, "text": text, "custom": {"quietdoor": kind}}


def _kind(reply: dict[str, Any]) -> str | None:
    custom = reply.get("custom")
    return custom.get("quietdoor") if isinstance(custom, dict) else None
