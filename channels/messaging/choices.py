"""A bare number that is not one of the choices offered: asked again, never passed on as words.

Rasa reads a stray "1" as an intent (after a report it once brought up an unrelated helpline),
so the gateway answers it itself: the choices last offered, again, or, when nothing is offered,
a short line on what to send instead. Digits inside a sentence are ordinary text.
"""

from __future__ import annotations

from api.org.profile import OrgProfile
from channels.messaging import texts
from channels.messaging.replies import Option, Reply

#: Telegram shows choices as buttons; SMS and WhatsApp as numbered lines.
ASK_AGAIN_KEY = {"sms": "choose_listed", "whatsapp": "choose_listed", "telegram": "choose_button"}


def not_listed(profile: OrgProfile, channel: str, offered: tuple[Option, ...]) -> Reply:
    """The answer to a number that picks nothing: the same choices again, or what to do."""
    if not offered:
        return Reply(texts.line(profile, "nothing_listed"))
    return Reply(texts.line(profile, ASK_AGAIN_KEY.get(channel, "choose_listed")), offered)
