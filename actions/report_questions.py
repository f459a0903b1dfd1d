"""Which questions the report form asks, given the answers so far.

A pure function so the whole path logic can be read, and tested, in one place:
- people reporting for themselves are asked about safe contact, letters, voicemail, a code
  word, an interpreter and free security work on their home;
- third parties are asked where it is happening and whether *they* want to be contacted,
  never for the victim's contact details.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actions.report_slots import CONTACT_METHODS, chosen_kinds

# Contact routes that make safe times, letters and a code word worth asking about.
_REAL_METHODS = tuple(m for m in CONTACT_METHODS if m != "none")
_THIRD_PARTY_DETAIL = ("phone", "text", "email")
_SAFE_TIMES_METHODS = ("phone", "text", "in_person", "trusted_person")


def report_questions(slots: Mapping[str, Any]) -> list[str]:
    """The ordered slot names to fill; the form asks the first one that is still empty."""
    reporter = slots.get("reporter_type")
    is_self = reporter == "self"
    method = slots.get("contact_method")

    questions = ["reporter_type", "what_happening", "abuse_kinds"]
    if chosen_kinds(slots.get("abuse_kinds")):
        questions.append("abuse_kinds_more")
    if reporter is not None and not is_self:
        questions.append("location")
    questions += ["children", "immediate_danger", "contact_method"]

    if is_self:
        if method in ("phone", "text", "email", "trusted_person"):
            questions.append("contact_detail")
        if method in _SAFE_TIMES_METHODS:
            questions.append("safe_times")
        if method == "phone":
            questions.append("voicemail_safe")
        if method in _REAL_METHODS:
            questions += ["letter_safe", "code_word"]
        questions.append("interpreter")
        if slots.get("interpreter") == "language":
            questions.append("language")
    elif method in _THIRD_PARTY_DETAIL:
        questions.append("contact_detail")

    questions.append("consent_to_share")
    if is_self:
        questions.append("security_needed")
    questions.append("send_report")
    return questions
