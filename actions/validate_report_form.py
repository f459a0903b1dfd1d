"""Validation for `report_form`: one `validate_<slot>` per question, plus the safety nets.

1. Danger now: if the latest message is an emergency, or someone answers "yes" to the danger
   question, the 999 advice is sent at once. A free-text answer in the same message is kept,
   `immediate_danger` becomes "yes", and the form carries on.
2. "Send what I've said": every question not yet answered counts as skipped and the report is
   sent; nothing is ever sent without that choice or a yes to "Shall I send this?".
3. On SMS, WhatsApp and Telegram, before the first answer that would stay on the phone (a
   number, a code word, the account), the person is told so once and that they can skip.
4. An answer that fits no button (low confidence, "hello" to a yes/no question) gets a short
   "please choose" and the same question again, instead of the form being dropped. Intents
   that have their own rule during the form (helplines, bot challenge, housing, goodbye) are
   handed back to those rules.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.contact_parsing import email_in, phone_in
from actions.message_metadata import is_messaging, latest_intent
from actions.report_questions import report_questions
from actions.report_slots import (
    ABUSE_KINDS,
    CONTACT_METHODS,
    DONE,
    FREE_TEXT_LIMITS,
    INTERPRETERS,
    REPORTER_TYPES,
    SKIPPED,
    UNKNOWN,
    YES_NO_UNKNOWN,
    chosen_kinds,
)

# Intents with their own rule while the form is active (data/rules/*.yml).
HANDED_BACK_INTENTS = {
    "helpline_general",
    "helpline_men",
    "helpline_lgbt",
    "helpline_honour",
    "helpline_deaf",
    "helpline_perpetrator",
    "helpline_injunction",
    "bot_challenge",
    "housing_question",
    "housing_abuse",
    "options_info",
    "goodbye",
}
# Answers that stay on a phone: the messaging channels warn once before the first of them.
PHONE_NOTE_BEFORE = ("contact_detail", "code_word", "what_happening", "location")
_YES_NO = YES_NO_UNKNOWN + (SKIPPED,)
# Words in the interpreter lookup that ask for an interpreter without naming a language.
_GENERIC_LANGUAGE_WORDS = {"translator", "another language", "different language"}

Validated = dict[str, Any]


def _one_of(slot: str, value: Any, allowed: tuple, dispatcher: CollectingDispatcher) -> Validated:
    if value in allowed:
        return {slot: value}
    dispatcher.utter_message(response="utter_please_choose")
    return {slot: None}


def _free_text(slot: str, value: Any) -> Validated:
    if value == SKIPPED:
        return {slot: SKIPPED}
    text = value.strip() if isinstance(value, str) else ""
    return {slot: text[: FREE_TEXT_LIMITS[slot]] or None}


class ValidateReportForm(FormValidationAction):
    """Chooses the questions for this reporter and checks each answer."""

    def name(self) -> str:
        return "validate_report_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return report_questions(tracker.slots)

    async def get_validation_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        intent = latest_intent(tracker)
        if intent == "send_now":
            return _send_what_was_said(tracker)
        answered = tracker.slots_to_validate()
        danger_now = intent == "emergency" or answered.get("immediate_danger") == "yes"
        if danger_now:
            dispatcher.utter_message(response="utter_emergency")

        events = await super().get_validation_events(dispatcher, tracker, domain)

        if intent == "emergency" and tracker.get_slot("immediate_danger") != "yes":
            events.append(SlotSet("immediate_danger", "yes"))
            tracker.slots["immediate_danger"] = "yes"

        requested = tracker.get_slot("requested_slot")
        if not events and requested and intent not in HANDED_BACK_INTENTS:
            # Returning a SlotSet keeps the form in charge: it asks the same question again.
            if not danger_now:
                dispatcher.utter_message(response="utter_please_choose")
            events.append(SlotSet(requested, None))
        return events + _phone_note(dispatcher, tracker, events)

    def validate_safe_to_talk(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        """ "No" ends the form: how to leave, and nothing is sent (report_questions)."""
        checked = _one_of("safe_to_talk", value, ("yes", "no"), dispatcher)
        if checked["safe_to_talk"] == "no":
            dispatcher.utter_message(response="utter_not_safe")
        return checked

    def validate_reporter_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        return _one_of("reporter_type", value, REPORTER_TYPES, dispatcher)

    def validate_what_happening(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        return _free_text("what_happening", value)

    def validate_abuse_kinds(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        values = value if isinstance(value, list) else [value]
        for sentinel in (SKIPPED, UNKNOWN):
            if sentinel in values:
                return {"abuse_kinds": [sentinel]}
        kinds = chosen_kinds(values)
        if kinds:
            return {"abuse_kinds": kinds}
        dispatcher.utter_message(response="utter_please_choose")
        return {"abuse_kinds": None}

    def validate_abuse_kinds_more(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        """Each extra kind is added to `abuse_kinds`; the question repeats until "That's all"."""
        values = value if isinstance(value, list) else [value]
        if DONE in values:
            return {"abuse_kinds_more": [DONE]}
        new = chosen_kinds(values)
        if not new:
            dispatcher.utter_message(response="utter_please_choose")
            return {"abuse_kinds_more": None}
        kinds = chosen_kinds(list(tracker.get_slot("abuse_kinds") or []) + new)
        finished = [DONE] if len(kinds) == len(ABUSE_KINDS) else None
        return {"abuse_kinds": kinds, "abuse_kinds_more": finished}

    def validate_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        return _free_text("location", value)

    def validate_children(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        return _one_of("children", value, _YES_NO, dispatcher)

    def validate_immediate_danger(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        # The 999 advice for a "yes" is sent once, in get_validation_events.
        return _one_of("immediate_danger", value, _YES_NO, dispatcher)

    def validate_contact_method(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        return _one_of("contact_method", value, CONTACT_METHODS + (SKIPPED,), dispatcher)

    def validate_contact_detail(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        """The one number or email in the answer ("text me on 07700 900123 after 6pm" gives
        "+447700900123"); none or two is asked again. A trusted person can be any text."""
        checked = _free_text("contact_detail", value)
        detail = checked["contact_detail"]
        method = tracker.get_slot("contact_method")
        if detail in (None, SKIPPED) or method == "trusted_person":
            return checked
        found = phone_in(detail) if method in ("phone", "text") else None
        if method == "email":
            found = email_in(detail)
        if found:
            return {"contact_detail": found}
        dispatcher.utter_message(response="utter_invalid_contact_detail")
        return {"contact_detail": None}

    def validate_safe_times(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        return _free_text("safe_times", value)

    def validate_voicemail_safe(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        return _one_of("voicemail_safe", value, _YES_NO, dispatcher)

    def validate_letter_safe(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        return _one_of("letter_safe", value, _YES_NO, dispatcher)

    def validate_code_word(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        return _free_text("code_word", value)

    def validate_interpreter(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        """ "Polish, please" answers both questions: interpreter=language and language=Polish."""
        checked = _one_of("interpreter", value, INTERPRETERS + (SKIPPED,), dispatcher)
        if checked["interpreter"] == "language":
            named = _named_language(tracker)
            if named:
                checked["language"] = named
        return checked

    def validate_language(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        return _free_text("language", value)

    def validate_consent_to_share(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        return _one_of("consent_to_share", value, _YES_NO, dispatcher)

    def validate_security_needed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        return _one_of("security_needed", value, _YES_NO, dispatcher)

    def validate_send_report(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Validated:
        return _one_of("send_report", value, ("yes", "no"), dispatcher)


def _answered(tracker: Tracker, events: list[EventType]) -> dict[str, Any]:
    slots = dict(tracker.slots)
    slots.update({e["name"]: e["value"] for e in events if e.get("event") == "slot"})
    return slots


def _send_what_was_said(tracker: Tracker) -> list[EventType]:
    """Every open question becomes skipped and `send_report` yes: the form ends and sends."""
    slots = dict(tracker.slots)
    events: list[EventType] = []
    for slot in report_questions(slots):
        if slots.get(slot) is None and slot not in ("send_report", "safe_to_talk"):
            events.append(SlotSet(slot, _SEND_NOW_VALUES.get(slot, SKIPPED)))
    return [*events, SlotSet("send_report", "yes")]


_SEND_NOW_VALUES: dict[str, Any] = {
    "reporter_type": "other",
    "abuse_kinds": [SKIPPED],
    "abuse_kinds_more": [DONE],
}


def _phone_note(
    dispatcher: CollectingDispatcher, tracker: Tracker, events: list[EventType]
) -> list[EventType]:
    """Said once per report on messaging, just before the first answer that stays on the phone."""
    slots = _answered(tracker, events)
    if slots.get("phone_note_given") or not is_messaging(tracker):
        return []
    upcoming = next((q for q in report_questions(slots) if slots.get(q) is None), None)
    if upcoming not in PHONE_NOTE_BEFORE:
        return []
    dispatcher.utter_message(response="utter_phone_note")
    return [SlotSet("phone_note_given", True)]


def _named_language(tracker: Tracker) -> str | None:
    """The language the person typed, if the interpreter entity was a language name."""
    text = tracker.latest_message.get("text") or ""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") != "interpreter" or entity.get("value") != "language":
            continue
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int):
            word = text[start:end].strip()
            if word and word.lower() not in _GENERIC_LANGUAGE_WORDS:
                return word.title()
    return None
