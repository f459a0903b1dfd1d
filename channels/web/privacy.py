"""The privacy notice, one link from the chat: what is kept, for how long, who sees it.

Every number on it comes from the running settings (idle clear, conversation expiry, follow-up
code life, closed-case retention), so the notice cannot promise something the service does not do.
It has the chat's own quick exit (exit.js) and, like every page, the gateway's security headers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from api.org.profile import OrgProfile, get_profile
from api.settings import Settings, current_settings
from channels.web.templates import page_title, templates

router = APIRouter(tags=["web chat"])

_DAYS_IN_YEAR = 365


def plural(count: int, unit: str) -> str:
    """'1 minute', '5 minutes'."""
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def seconds_text(seconds: int) -> str:
    """A wait in plain words: whole minutes when it is whole minutes, else seconds."""
    minutes, rest = divmod(seconds, 60)
    return plural(minutes, "minute") if not rest else plural(seconds, "second")


def days_text(days: int) -> str:
    """A retention period in plain words: whole years when it is whole years, else days."""
    years, rest = divmod(days, _DAYS_IN_YEAR)
    return plural(years, "year") if years and not rest else plural(days, "day")


@router.get("/privacy", response_class=HTMLResponse)
def privacy_page(
    profile: Annotated[OrgProfile, Depends(get_profile)],
    settings: Annotated[Settings, Depends(current_settings)],
) -> HTMLResponse:
    """The notice, in the organisation's name and with the service's real time limits."""
    html = templates.get_template("privacy.html").render(
        title=page_title(profile),
        org_name=profile.name,
        exit_url=profile.exit_url,
        online_safety_url=profile.online_safety_url,
        chat_idle=seconds_text(settings.chat_idle_seconds),
        conversation_expiry=plural(settings.session_idle_minutes, "minute"),
        follow_up_code_life=days_text(settings.follow_up_code_days),
        closed_case_kept=days_text(settings.retention_closed_case_days),
    )
    return HTMLResponse(html)
