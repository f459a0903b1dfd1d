"""What every channel checks and says before anything else: quick exit, and the emergency texts.

Channel-independent: the web chat, SMS and Telegram all call `is_exit` on the raw text and use
the same emergency, reminder and safety-net wording, built from the organisation profile.
Whether a message shows danger is `channels.danger.assess` (words, then a classifier);
`is_emergency` is its words alone, for callers that need a plain yes or no.
"""

from __future__ import annotations

from typing import Protocol

from channels.danger import words as danger_words

EXIT_PHRASES = frozenset(
    {"exit", "quick exit", "quickexit", "exit now", "exit chat", "exit this page", "exit page"}
)


class HelplineLike(Protocol):
    name: str
    contact: str
    hours: str


class ProfileLike(Protocol):
    """What the messages need from `api.org.profile.OrgProfile`."""

    nation: str

    def helplines_for(self, need: str, nation: str | None = None) -> list[HelplineLike]: ...


def _normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    return " ".join(text.split())


def is_exit(text: str) -> bool:
    """The whole message asks to leave: "exit", "/exit", "Quick exit", "EXIT NOW!" ...

    "exit" inside a sentence ("is there a fire exit?") is not a request to leave.
    """
    words = _normalise(text).lstrip("/").strip(" .!?").replace("_", " ").replace("-", " ")
    return " ".join(words.split()) in EXIT_PHRASES


def is_emergency(text: str) -> bool:
    """Danger now by the danger words alone, for callers without the classifier's levels."""
    return danger_words.fires(text)


DEAF_FALLBACK = "text 999 if you have registered with emergencySMS, use 999 BSL, or textphone 18000"


def _helpline_line(profile: ProfileLike, *, discreet: bool) -> str:
    lines = profile.helplines_for("general", profile.nation)
    if not lines:
        return ""
    first = lines[0]
    if discreet:  # a service's name can say more than the person wants a phone to show
        return f"Free support line: {first.contact} ({first.hours})."
    return f"{first.name}: {first.contact} ({first.hours}, free)."


def emergency_text(profile: ProfileLike, *, discreet: bool = False) -> str:
    """999, the Silent Solution, the routes for deaf people, and the nation's 24/7 helpline.

    `discreet` (the default on SMS, WhatsApp and Telegram, where texts stay on the phone) keeps
    every number and instruction but leaves out words that would alarm someone reading over
    the person's shoulder.
    """
    deaf = profile.helplines_for("deaf", profile.nation)
    deaf_contact = deaf[0].contact if deaf else DEAF_FALLBACK
    first_line = (
        "If you need help now, call 999."
        if discreet
        else "If you are in danger now, call 999 and ask for the police."
    )
    lines = [
        first_line,
        "If you can't talk, call 999 from a mobile, listen, and press 55 when asked "
        "(the Silent Solution). Stay on the line.",
        f"If you are deaf or can't speak: {deaf_contact}.",
        _helpline_line(profile, discreet=discreet),
    ]
    return "\n".join(line for line in lines if line)


def reminder_text(*, discreet: bool = False) -> str:
    """The one line added after the normal reply when danger is possible but not certain."""
    return "If you need help now, call 999." if discreet else "If you are in danger now, call 999."


def not_taken_text() -> str:
    """The honest sentence for when the dialogue engine is down: nothing was kept or sent."""
    return (
        "Sorry, your report could not be taken right now. "
        "What you sent has not been saved or passed on to anyone."
    )
