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


def need_from_keywords(text: str) -> str | None:
    """The first specialist need named in the text, or None."""
    normalised = text.replace("\u2019", "'")
    for need, pattern in _COMPILED:
        if pattern.search(normalised):
            return need
    return None


def choose_need(intent: str | None, text: str) -> str:
    """A specific helpline intent wins; otherwise keywords; otherwise the general line."""
    need = INTENT_NEEDS.get(intent or "")
    if need and need != "general":
        return need
    return need_from_keywords(text or "") or "general"


def specialist_need(intent: str | None, text: str) -> str | None:
    """A specialist need (not the general line) from the best intent or keywords, else None."""
    need = choose_need(intent, text)
    return None if need == "general" else need
