"""Rasa's replies as messaging channels need them: text plus choices, emergencies marked.

Rasa's REST list carries buttons with each text and sends `custom` (our emergency marker) as an
item of its own right after its text; here the marker is folded into the text it belongs to.
SMS and WhatsApp have no buttons, so choices become numbered lines the person answers with a
digit; Telegram shows them as an inline keyboard (`channels/telegram/sending.py`). A bare number
is only ever a choice: it never reaches Rasa as text (`channels/messaging/choices.py`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: "1", "2.", "(2)", " 12) ": one or two digits alone. Phone numbers and "3 kids" are text.
_DIGITS = re.compile(r"^\s*\(?\s*(\d{1,2})\s*[.)]?\s*$")


@dataclass(frozen=True)
class Option:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One message to the person; `kind` is "emergency", "reminder", "kept", "unavailable" or
    None ("kept": what happens to a message not answered yet)."""

    text: str
    options: tuple[Option, ...] = field(default=())
    kind: str | None = None


def from_rasa(items: list[dict[str, Any]]) -> list[Reply]:
    """Fold Rasa's items into replies; buttons without a title or payload are left out."""
    replies: list[Reply] = []
    for item in items:
        custom = item.get("custom")
        kind = custom.get("quietdoor") if isinstance(custom, dict) else None
        text = item.get("text")
        if not isinstance(text, str) or not text:
            if kind and replies:  # the marker item that follows its text
                last = replies[-1]
                replies[-1] = Reply(last.text, last.options, kind)
            continue
        options = tuple(
            Option(str(b["title"]), str(b["payload"]))
            for b in item.get("buttons") or []
            if isinstance(b, dict) and b.get("title") and b.get("payload")
        )
        replies.append(Reply(text, options, kind if isinstance(kind, str) else None))
    return replies


def numbered(reply: Reply) -> str:
    """The text with its choices as "1 Yes" lines, for a channel without buttons."""
    if not reply.options:
        return reply.text
    choices = "\n".join(f"{n} {option.title}" for n, option in enumerate(reply.options, 1))
    return f"{reply.text}\n{choices}"


def offered(replies: list[Reply]) -> tuple[Option, ...]:
    """The choices a digit now refers to: those of the last reply that offered any."""
    for reply in reversed(replies):
        if reply.options:
            return reply.options
    return ()


def is_bare_number(text: str) -> bool:
    """One or two digits alone (a dot or bracket allowed): a choice, right or wrong."""
    return _DIGITS.match(text) is not None


def chosen_payload(text: str, options: Sequence[Option]) -> str | None:
    """ "2" (or "2." / " 2) ") picks the second choice offered; anything else is not a choice."""
    match = _DIGITS.match(text)
    if not match:
        return None
    number = int(match.group(1))
    return options[number - 1].payload if 1 <= number <= len(options) else None
