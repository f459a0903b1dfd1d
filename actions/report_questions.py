"""Which questions the report form asks, and in what order, given the answers so far.

A pure function so the whole path logic can be read, and tested, in one place:
- people reporting for themselves are asked whether it is safe to talk (unless they already
  said), then how and when it is safe to contact them, before the account of what is happening,
  so an interrupted conversation still leaves the team a safe way back (DOMAIN.md);
- third parties are asked where it is happening and whether *they* want to be contacted, never
  for the victim's contact details, and never to consent on the victim's behalf;
- "not safe to talk" ends the form at once: nothing more is asked and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contract.report import METHODS_NEEDING_DETAIL, REACHABLE_METHODS, chosen_kinds

_THIRD_PARTY_DETAIL = ("phone", "text", "email")
_SAFE_TIMES_METHODS = ("phone", "text", "in_person", "trusted_person")


def _contact_questions(is_self: bool, method: Any) -> list[str]:
    if not is_self:
        return ["contact_detail"] if method in _THIRD_PARTY_DETAIL else []
    questions = []
    if method in METHODS_NEEDING_DETAIL:
        questions.append("contact_detail")
    if method in _SAFE_TIMES_METHODS:
        questions.append("safe_times")
    if method == "phone":
        questions.append("voicemail_safe")
    if method in REACHABLE_METHODS:  # safe times, letters and a code word are worth asking
        questions += ["letter_safe", "code_word"]
    return questions


def report_questions(slots: Mapping[str, Any]) -> list[str]:
    """The ordered slot names to fill; the form asks the first one that is still empty."""
    if slots.get("safe_to_talk") == "no":
        return ["safe_to_talk"]
    reporter = slots.get("reporter_type")
    is_self = reporter == "self"

    questions = ["reporter_type"]
    if is_self:
        questions.append("safe_to_talk")
    questions.append("contact_method")
    questions += _contact_questions(is_self, slots.get("contact_method"))
    questions += ["what_happening", "abuse_kinds"]
    if chosen_kinds(slots.get("abuse_kinds")):
        questions.append("abuse_kinds_more")
    if reporter is not None and not is_self:
        questions.append("location")
    questions += ["children", "immediate_danger"]
    if is_self:
        questions.append("interpreter")
        if slots.get("interpreter") == "language":
            questions.append("language")
        questions += ["consent_to_share", "security_needed"]
    questions.append("send_report")
    return questions
