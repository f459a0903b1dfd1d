"""Maps a helpline request to a need the case service knows (`GET /internal/helplines`).

The intent decides first. Keywords are a backstop for when the classifier only saw a general
request ("is there a helpline? I'm deaf"): a specialist line is more use than the general one.
"""

from __future__ import annotations

import re

INTENT_NEEDS = {
    "helpline_general": "general",
    "helpline_men": "men",
    "helpline_lgbt": "lgbt",
    "helpline_honour": "honour",
    "helpline_deaf": "deaf",
    "helpline_perpetrator": "perpetrator",
    "helpline_injunction": "injunction",
}

# Checked in order: the first match wins.
_KEYWORD_NEEDS = (
    (
        "deaf",
        r"\b(deaf|bsl|sign language|hard of hearing|textphone|text relay|relay uk"
        r"|hearing impair\w*)\b",
    ),
    (
        "honour",
        r"\b(forced (marriage|to marry)|forcing me to marry|made to marry|honou?r\w*"
        r"|dishonou?r\w*|shamed? (on )?(the|my) family|karma nirvana|izzat)\b",
    ),
    (
        "lgbt",
        r"\b(lgbt\w*|gay|lesbian|bisexual|bi|trans|transgender|non-?binary|queer"
        r"|same[- ]sex|galop)\b",
    ),
    (
        "perpetrator",
        r"(my own behaviou?r|\bi (hurt|hit|push(ed)?|abuse|shout at) my\b"
        r"|\bi'?m (the )?abus(er|ive)\b|\bi am (the )?abus(er|ive)\b|respect phone ?line"
        r"|people who harm|anger management)",
    ),
    (
        "men",
        r"(\bi'?m a (man|bloke|guy|dad|father)\b|\bi am a (man|male|dad|father)\b|\bi'?m male\b"
        r"|\b(wife|girlfriend|missus) (hits|hurts|attacks|abuses|beats)\b"
        r"|\b(abused|hit|beaten|hurt|attacked|bullied) by (my|his|their|the|a) "
        r"(wife|girlfriend|missus|female partner)\b|\bblokes?\b|\bmen being\b"
        r"|men'?s advice line|\bmale victims?\b)",
    ),
    (
        "injunction",
        r"\b(injunction|non[- ]?mol\w*|occupation order|restraining order|protection order"
        r"|court order|ncdv|legal (aid|advice|protection|help))\b",
    ),
    ("local", r"\b(local|near me|in my area)\b"),
)
_COMPILED = tuple((need, re.compile(pattern, re.IGNORECASE)) for need, pattern in _KEYWORD_NEEDS)

# The line for people who harm is only for a writer who says *they* cause harm. Someone hurt
# often uses the same words about the other person ("his temper", "anger management", "he says
# I'm the problem"), and a classifier can confuse them, so the words must show the writer acting.
_CAUSING_HARM = re.compile(
    r"\bi(?:'ve| have| had| just| then| also| even| once)? (?:hit|hurt|push(?:ed)?|shoved?"
    r"|slap(?:ped)?|grab(?:bed)?|threw|throw|punch(?:ed)?|kick(?:ed)?|strangled?|choked?|abused?"
    r"|lash(?:ed)? out|lost (?:it|my temper)|threatened|scared|frightened|forced|smashed|broke"
    r"|controll?(?:ed)?|stalk(?:ed)?|follow(?:ed)?|tracked|spied|shout(?:ed)? at"
    r"|scream(?:ed)? at)\b"
    r"|\bi(?:'ll|ll| will| might| could| would) (?:hurt|hit|kill|do something)\b"
    r"|\bi(?:'m| am|'ve been| have been| get| got| can get| can be)(?: \w+)? (?:violent|abusive"
    r"|controlling|aggressive|rough|jealous|possessive|nasty|the abuser|the problem|a risk"
    r"|a danger)\b"
    r"|\bi (?:keep|can'?t stop|couldn'?t stop|don'?t want to keep) (?:hurting|hitting|shouting"
    r"|snapping|checking|sending|following|losing|lashing|pushing|scaring|threatening|smashing"
    r"|punching|turning up|going through)\b"
    r"|\b(?:stop|change) (?:my (?:behaviou?r|ways|temper)|being (?:so )?(?:violent|abusive"
    r"|controlling|aggressive|jealous|angry))\b"
    r"|\bi (?:want|need|have) (?:help )?to (?:change|stop)(?: (?:how i|what i|the way i|being|my"
    r"|hurting|shouting|hitting)\b|[\s.!?]*$)"
    r"|\bmy (?:behaviou?r|temper|anger|violence|jealousy)\b"
    r"|\bmy own (?:\w+ )?(?:behaviou?r|temper|anger|violence|jealousy)\b"
    r"|\bi don'?t trust myself\b|\bwhat i (?:did|might do|could do)\b|\bbefore i (?:do|hurt)\b"
    r"|\bi (?:put|had|got) my hands\b|\bi (?:won'?t|don'?t) let (?:my|her|him|them)\b"
    r"|respect (?:phone ?line|helpline)|people who (?:harm|abuse)|anger management course"
    r"|perpetrator programme|(?:course|programme|help|support) for (?:abusers|abusive|men who"
    r"|people who)",
    re.IGNORECASE,
)
# "He says I'm the problem" is blame put on the writer, not the writer's own words.
_REPORTED_BLAME = re.compile(
    r"\b(?:says?|said|saying|tells? me|told me|telling me|calls? me|makes? me feel|blames? me)"
    r"\s+(?:that\s+|like\s+)?(?:i(?:'m| am)|it'?s)\b[^.?!,]*?(?=\s+(?:and|but)\b|[.?!,]|$)",
    re.IGNORECASE,
)


def says_causing_harm(text: str) -> bool:
    """True when the writer says they cause harm (or pressed a button that chose the line)."""
    if text.startswith("/"):
        return True
    normalised = _REPORTED_BLAME.sub(" ", text.replace("\u2019", "'"))
    return _CAUSING_HARM.search(normalised) is not None


def need_from_keywords(text: str) -> str | None:
    """The first specialist need named in the text, or None."""
    normalised = text.replace("\u2019", "'")
    for need, pattern in _COMPILED:
        if pattern.search(normalised):
            return need
    return None


def choose_need(intent: str | None, text: str) -> str:
    """A specific helpline intent wins; otherwise keywords; otherwise the general line.

    The line for people who harm only when the words say the writer causes the harm.
    """
    need = INTENT_NEEDS.get(intent or "")
    if not need or need == "general":
        need = need_from_keywords(text or "") or "general"
    if need == "perpetrator" and not says_causing_harm(text or ""):
        return "general"
    return need


def specialist_need(intent: str | None, text: str) -> str | None:
    """A specialist need (not the general line) from the best intent or keywords, else None."""
    need = choose_need(intent, text)
    return None if need == "general" else need
