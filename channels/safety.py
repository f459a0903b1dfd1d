"""Words every channel checks before anything else: quick exit, and danger right now.

Channel-independent: the web chat, SMS and Telegram all call `is_exit` and `is_emergency` on the
raw text and use the same emergency and safety-net wording, built from the organisation profile.

`is_emergency` aims at precision: it looks for danger to a person *now* (weapons, threats to kill,
strangulation, an attack or break-in happening, a plea for the police), and deliberately ignores
housing talk such as "emergency repair", "boiler emergency", "gas leak" or "fire exit". The
dialogue engine asks about danger anyway; this check only makes sure the numbers come first.
"""

from __future__ import annotations

import re
from typing import Protocol

EXIT_PHRASES = frozenset(
    {"exit", "quick exit", "quickexit", "exit now", "exit chat", "exit this page", "exit page"}
)

# Housing and trade phrases that contain a danger word but are not danger to a person.
_NOT_DANGER = re.compile(
    r"""
    \b(?:glue|sealant|caulk\w*|grout|nail|staple|heat|spray|silicone|mastic|water)\s+guns?\b
    | \bbleed\w*\s+(?:the\s+|my\s+|all\s+the\s+)?radiators?\b
    | \bradiators?\s+(?:needs?|needed|want|wants)\s+bleeding\b
    | \bchoked\s+(?:drains?|sinks?|toilets?|gull(?:y|ies)|pipes?)\b
    | \b(?:drains?|sinks?|toilets?|gull(?:y|ies)|pipes?)
      \s+(?:is|are|was|were|keeps?\s+getting)\s+choked\b
    | \bin\s+danger\s+of\b
    """,
    re.VERBOSE,
)

_PERSON = r"(?:me|us|her|him|them|my\s+\w+|the\s+(?:kids|children|baby))"

_DANGER = re.compile(
    rf"""
    # weapons
    \b(?:knife|knives|gun|guns|weapon|weapons|machete|blade|axe|hammer\s+at)\b
    | \b(?:stabbed|stabbing\s+{_PERSON}|stab\s+{_PERSON}|shot\s+{_PERSON}|shoot\s+{_PERSON})\b
    # threats to kill, and suicide
    | \bkill\s+(?:{_PERSON}|myself|ourselves|himself|herself)\b
    | \b(?:going\s+to|gonna|gon'?\s+na|will|'ll|wants?\s+to|trying\s+to|tried\s+to|threaten\w*\s+to)
      \s+kill\b
    | \b(?:end\s+my\s+life|suicid\w*)\b
    | \b(?:fear|scared|afraid|frightened)\s+for\s+my\s+life\b
    # strangulation and breathing
    | \b(?:strangl\w*|chok(?:e|ed|es|ing)|suffocat\w*)\b
    | \b(?:can'?t|cannot|can\s+not|couldn'?t)\s+breathe\b
    | \b(?:hands?|arm)\s+(?:round|around)\s+my\s+(?:neck|throat)\b
    # an attack happening now
    | \b(?:is|are|'s|'re|keeps?)\s+(?:hitting|beating|hurting|attacking|kicking|punching|
      strangling|choking|raping)\s+{_PERSON}\b
    | \b(?:hurting|hitting|beating|attacking|kicking|punching)\s+{_PERSON}\s+(?:now|right\s+now)\b
    | \battacking\s+{_PERSON}\b
    | \b(?:bleeding|blood\s+everywhere|unconscious|not\s+breathing|passed\s+out)\b
    # someone forcing their way in
    | \b(?:breaking|trying\s+to\s+(?:break|get|force\s+(?:his|her|their)\s+way))\s+in\b
    | \b(?:has|have|'s|just)\s+(?:broken|broke|forced\s+(?:his|her|their)\s+way)\s+in\b
      (?!\s+(?:the|a|an|half|two|my|our)\b)
    | \bbreaking\s+(?:down\s+)?(?:the|my|our)\s+(?:front\s+|back\s+)?(?:door|window)\b
    | \b(?:banging|hammering|pounding|kicking)\s+(?:on|at|in|down)\s+(?:the|my|our)
      \s+(?:front\s+|back\s+)?(?:door|window)s?\b
    | \bkicking\s+(?:the|my|our)\s+(?:front\s+|back\s+)?door\s+(?:in|down)\b
    | \b(?:locked|locking|trapped)\s+{_PERSON}\s+in\b
    | \bwon'?t\s+let\s+me\s+(?:leave|out|go)\b
    | \b(?:set|setting)\s+(?:fire\s+to|{_PERSON}\s+on\s+fire|the\s+house\s+on\s+fire)\b
    | \bburn\s+(?:the\s+)?(?:house|flat|place|home)\s+down\b
    # a plea for help now
    | \bhelp\s+(?:me|us)\s+(?:now|right\s+now|quick|quickly|please\s+now)\b
    | \bneed\s+help\s+(?:now|right\s+now|urgently|immediately)\b
    | \bin\s+(?:immediate\s+|real\s+|serious\s+)?danger\b
    | \bnot\s+safe\s+(?:now|right\s+now|here|at\s+home)\b
    | \b(?:call|calling|ring|phone|dial|get)\s+(?:the\s+)?
      (?:police|999|ambulance|an\s+ambulance|cops)\b
    | \bpolice\s+now\b
    """,
    re.VERBOSE,
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
    """True when the message says someone is in danger now; housing emergencies are not."""
    cleaned = _NOT_DANGER.sub(" ", _normalise(text))
    return _DANGER.search(cleaned) is not None


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


def not_taken_text() -> str:
    """The honest sentence for when the dialogue engine is down: nothing was kept or sent."""
    return (
        "Sorry, your report could not be taken right now. "
        "What you sent has not been saved or passed on to anyone."
    )
