"""The web pages' templates (channels/web/static/*.html), shared by the chat and privacy routes.

Autoescaped, and strict about a missing value, so a page never shows an empty gap where a number
or an address should be.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from api.org.profile import OrgProfile

STATIC_DIR = Path(__file__).parent / "static"
templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(STATIC_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def page_title(profile: OrgProfile) -> str:
    """One neutral title for every page of the chat, so a tab or history entry says little."""
    return profile.wording.get("chat_title", "Support chat")
