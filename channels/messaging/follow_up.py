"""Follow-up over SMS, WhatsApp and Telegram: the code sent back on its own, then "REPLY ...".

An anonymous report ends with a follow-up code. Sent back on the same channel, alone in a
message (any case, spaces or dashes anywhere), it is answered here before Rasa, so Rasa never
sees it: the status in discreet words and the team's messages the person has not been shown
yet. Everything goes through the case service the web follow-up uses (`reporter_view`, which
marks what it shows as seen, and `reporter_says`), with its throttle on wrong codes keyed by the
contact's pseudonym instead of an IP address. A wrong, expired or throttled code gets one
neutral answer.

The code that worked is held, sealed with the contact's own key, for `REPLY_WINDOW`; within it
"REPLY <message>" goes to the team. Nothing here logs or stores a code in the clear (the inbox
seals the message that carried it and drops the text once read), nor a message or a pseudonym.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from sqlalchemy.orm import Session

from api.cases.codes import ALPHABET
from api.casework.follow_up import (
    ReporterView,
    TooManyTries,
    WrongCode,
    reporter_says,
    reporter_view,
)
from api.crypto.keys import KeyRing
from api.deadlines import moment_text
from api.org.profile import OrgProfile
from channels import safety
from channels.messaging import contacts, texts
from channels.messaging.replies import Reply

log = logging.getLogger("quietdoor.channels.messaging")

REPLY_WINDOW = dt.timedelta(minutes=10)
#: `api.cases.codes.new_follow_up_code`: four groups of four.
CODE_CHARS = 16
GROUP_CHARS = 4

_WORDS = re.compile(r"[A-Za-z0-9]+(?:[\s-]+[A-Za-z0-9]+)*")
_SEPARATORS = re.compile(r"[\s-]+")
_SPACE = re.compile(r"\s")
_REPLY = re.compile(r"reply\b[\s:,.-]*", re.IGNORECASE)
_KEYWORDS = frozenset({"plain", "discreet", "discrete"})


def looks_like_code(text: str) -> bool:
    """A follow-up code sent back, right or wrong: 16 letters and digits in groups of four.

    What counts as a code is never passed to Rasa, so a near miss (O typed for 0) counts too.
    Plain words do not: letters alone count only if all are in the code's alphabet and were not
    typed as lower-case words ("they want back rent"), which leaves out fewer than one code in
    a hundred (those without a digit, typed that way).
    """
    stripped = text.strip()
    if not _WORDS.fullmatch(stripped):
        return False
    groups = _SEPARATORS.split(stripped)
    compact = "".join(groups).upper()
    if len(compact) != CODE_CHARS or any(len(group) % GROUP_CHARS for group in groups):
        return False
    if any(ch.isdigit() for ch in compact):
        return True
    return set(compact) <= set(ALPHABET) and (stripped.isupper() or not _SPACE.search(stripped))


def message_to_team(text: str) -> str | None:
    """The message after a leading REPLY, or None if this is not one.

    "Reply EXIT" or "reply plain" (people copy our own instructions) are not messages to the
    team: they go on as before.
    """
    match = _REPLY.match(text.strip())
    if match is None:
        return None
    message = text.strip()[match.end() :].strip()
    word = message.lower().strip(" .!")
    if safety.is_exit(message) or word in _KEYWORDS:
        return None
    return message


def check_code(
    session: Session,
    keyring: KeyRing,
    hash_key: bytes,
    profile: OrgProfile,
    *,
    pseudonym: str,
    code: str,
    now: dt.datetime,
) -> list[Reply]:
    """The answer to a code sent on its own; a code that works is held for REPLY_WINDOW."""
    try:
        view = reporter_view(
            session, keyring, hash_key, code=code, address=_address(pseudonym), now=now
        )
    except (WrongCode, TooManyTries):
        log.info("messaging follow-up: a code did not open a case")
        return [Reply(texts.line(profile, "follow_up_wrong_code"))]
    contacts.hold_follow_up_code(session, keyring, pseudonym, code, until=now + REPLY_WINDOW)
    update = texts.line(
        profile,
        "follow_up_update",
        reference=view.reference,
        status=texts.line(profile, f"follow_up_status_{view.status}"),
    )
    news = _team_wrote(profile, view, now)
    if not news:
        update = f"{update}\n{texts.line(profile, 'follow_up_nothing_new')}"
    how = texts.line(profile, "follow_up_reply_how", minutes=_minutes(REPLY_WINDOW))
    return [Reply(update), *news, Reply(how)]


def send_to_team(
    session: Session,
    keyring: KeyRing,
    hash_key: bytes,
    profile: OrgProfile,
    *,
    pseudonym: str,
    message: str,
    now: dt.datetime,
) -> list[Reply]:
    """Add the person's message to the case of the code they checked with minutes ago."""
    code = contacts.held_follow_up_code(session, keyring, pseudonym, now=now)
    if code is None:
        return [Reply(texts.line(profile, "follow_up_reply_needs_code"))]
    if not message:
        return [Reply(texts.line(profile, "follow_up_reply_how", minutes=_minutes(REPLY_WINDOW)))]
    try:
        view = reporter_says(
            session,
            keyring,
            hash_key,
            code=code,
            text=message,
            address=_address(pseudonym),
            now=now,
        )
    except (WrongCode, TooManyTries):  # the case closed for good in the meantime
        log.info("messaging follow-up: a held code no longer opens a case")
        return [Reply(texts.line(profile, "follow_up_wrong_code"))]
    # Anything the team wrote since the check was marked seen just now: show it.
    return [Reply(texts.line(profile, "follow_up_reply_sent")), *_team_wrote(profile, view, now)]


def _team_wrote(profile: OrgProfile, view: ReporterView, now: dt.datetime) -> list[Reply]:
    return [
        Reply(
            texts.line(
                profile,
                "follow_up_team_wrote",
                when=moment_text(message.created_at, profile.tz, now),
                text=message.text,
            )
        )
        for message in view.messages
        if message.new
    ]


def _address(pseudonym: str) -> str:
    """Who is trying codes, for the case service's throttle (which keeps only a keyed hash)."""
    return f"messaging:{pseudonym}"


def _minutes(window: dt.timedelta) -> int:
    return round(window.total_seconds() / 60)
