"""validate_report_form: answers kept, skips honoured, danger answered at once."""

from typing import Any

from actions.validate_report_form import ValidateReportForm
from tests.actions.conftest import make_tracker, run_action, slot_values

FORM = "report_form"
ACTION = ValidateReportForm()
SAFE: dict[str, Any] = {"reporter_type": "self", "safe_to_talk": "yes"}
# Past the safe-contact questions (anonymous), so the account questions come next.
SELF_SO_FAR: dict[str, Any] = {**SAFE, "contact_method": "none"}
SMS = {"channel": "sms", "wording": "discreet"}


def test_report_about_me_first_asks_if_it_is_safe_to_talk() -> None:
    tracker = make_tracker(
        intent="report_abuse", answered={"reporter_type": "self"}, active_loop=FORM
    )
    events, responses = run_action(ACTION, tracker)
    assert responses == []
    assert slot_values(events) == {"reporter_type": "self", "requested_slot": "safe_to_talk"}


def test_once_safe_to_talk_is_known_the_safe_contact_comes_first() -> None:
    tracker = make_tracker(
        slots={"safe_to_talk": "yes"},
        intent="report_abuse",
        answered={"reporter_type": "self"},
        active_loop=FORM,
    )
    events, _ = run_action(ACTION, tracker)
    assert slot_values(events)["requested_slot"] == "contact_method"


def test_not_safe_to_talk_says_how_to_leave_and_ends_the_form() -> None:
    tracker = make_tracker(
        slots={"reporter_type": "self", "requested_slot": "safe_to_talk"},
        intent="deny",
        answered={"safe_to_talk": "no"},
        active_loop=FORM,
    )
    events, responses = run_action(ACTION, tracker)
    assert responses == ["utter_not_safe"]
    assert slot_values(events) == {"safe_to_talk": "no", "requested_slot": None}


def test_send_what_ive_said_skips_the_rest_and_sends() -> None:
    tracker = make_tracker(
        slots={**SELF_SO_FAR, "requested_slot": "what_happening"},
        intent="send_now",
        text="send what I've said",
        active_loop=FORM,
    )
    events, responses = run_action(ACTION, tracker)
    values = slot_values(events)
    assert responses == []
    assert values["send_report"] == "yes"
    assert values["what_happening"] == "skipped"  # the button's words are not the account
    assert values["abuse_kinds"] == ["skipped"]
    assert values["consent_to_share"] == "skipped"
    assert values["requested_slot"] is None


def test_on_sms_the_phone_note_comes_once_before_the_first_answer_that_stays() -> None:
    tracker = make_tracker(
        slots={**SAFE, "requested_slot": "contact_method"},
        intent="inform",
        answered={"contact_method": "text"},
        active_loop=FORM,
        metadata=SMS,
    )
    events, responses = run_action(ACTION, tracker)
    assert responses == ["utter_phone_note"]
    assert slot_values(events)["phone_note_given"] is True
    assert slot_values(events)["requested_slot"] == "contact_detail"

    again = make_tracker(
        slots={
            **SAFE,
            "contact_method": "text",
            "phone_note_given": True,
            "requested_slot": "contact_detail",
        },
        intent="inform",
        answered={"contact_detail": "07700 900123"},
        active_loop=FORM,
        metadata=SMS,
    )
    _, responses = run_action(ACTION, again)
    assert "utter_phone_note" not in responses


def test_the_web_chat_gets_no_phone_note() -> None:
    tracker = make_tracker(
        slots={**SAFE, "requested_slot": "contact_method"},
        intent="inform",
        answered={"contact_method": "text"},
        active_loop=FORM,
        metadata={"channel": "web", "wording": "web"},
    )
    _, responses = run_action(ACTION, tracker)
    assert "utter_phone_note" not in responses


def test_third_party_concern_without_a_role_asks_who_they_are() -> None:
    tracker = make_tracker(intent="third_party_concern", active_loop=FORM)
    events, _ = run_action(ACTION, tracker)
    assert slot_values(events) == {"requested_slot": "reporter_type"}


def test_free_text_answer_is_kept() -> None:
    tracker = make_tracker(
        slots={**SELF_SO_FAR, "requested_slot": "what_happening"},
        intent="report_abuse",
        answered={"what_happening": "  He takes my wages.  "},
        active_loop=FORM,
    )
    events, responses = run_action(ACTION, tracker)
    assert responses == []
    assert slot_values(events) == {
        "what_happening": "He takes my wages.",
        "requested_slot": "abuse_kinds",
    }


def test_emergency_in_a_free_text_answer_sends_999_and_keeps_the_answer() -> None:
    tracker = make_tracker(
        slots={**SELF_SO_FAR, "requested_slot": "what_happening"},
        intent="emergency",
        text="he's back and he has a knife",
        answered={"what_happening": "he's back and he has a knife"},
        active_loop=FORM,
    )
    events, responses = run_action(ACTION, tracker)
    assert responses == ["utter_emergency"]
    assert slot_values(events) == {
        "what_happening": "he's back and he has a knife",
        "immediate_danger": "yes",
        "requested_slot": "abuse_kinds",
    }


def test_emergency_instead_of_a_button_answer_sends_999_and_asks_again() -> None:
    tracker = make_tracker(
        slots={
            **SELF_SO_FAR,
            "what_happening": "skipped",
            "abuse_kinds": ["skipped"],
            "requested_slot": "children",
        },
        intent="emergency",
        text="he's outside banging on the door",
        active_loop=FORM,
    )
    events, responses = run_action(ACTION, tracker)
    assert responses == ["utter_emergency"]
    assert slot_values(events) == {"immediate_danger": "yes", "requested_slot": "children"}


def test_yes_to_danger_now_sends_999_once_and_carries_on() -> None:
    tracker = make_tracker(
        slots={
            **SELF_SO_FAR,
            "what_happening": "skipped",
            "abuse_kinds": ["skipped"],
            "children": "no",
            "requested_slot": "immediate_danger",
        },
        intent="affirm",
        answered={"immediate_danger": "yes"},
        active_loop=FORM,
    )
    events, responses = run_action(ACTION, tracker)
    assert responses == ["utter_emergency"]
    assert slot_values(events) == {"immediate_danger": "yes", "requested_slot": "interpreter"}


def test_skip_is_remembered_so_the_question_is_not_asked_again() -> None:
    tracker = make_tracker(
        slots={**SELF_SO_FAR, "requested_slot": "what_happening"},
        intent="skip",
        answered={"what_happening": "skipped"},
        active_loop=FORM,
    )
    events, _ = run_action(ACTION, tracker)
    assert slot_values(events) == {"what_happening": "skipped", "requested_slot": "abuse_kinds"}


def test_dont_know_is_unknown() -> None:
    tracker = make_tracker(
        slots={
            **SELF_SO_FAR,
            "what_happening": "skipped",
            "abuse_kinds": ["unknown"],
            "requested_slot": "children",
        },
        intent="dont_know",
        answered={"children": "unknown"},
        active_loop=FORM,
    )
    events, _ = run_action(ACTION, tracker)
    assert slot_values(events) == {"children": "unknown", "requested_slot": "immediate_danger"}


def test_an_answer_that_fits_no_button_asks_again() -> None:
    tracker = make_tracker(
        slots={
            **SELF_SO_FAR,
            "what_happening": "skipped",
            "abuse_kinds": ["skipped"],
            "requested_slot": "children",
        },
        intent="nlu_fallback",
        text="purple",
        active_loop=FORM,
    )
    events, responses = run_action(ACTION, tracker)
    assert responses == ["utter_please_choose"]
    assert slot_values(events) == {"children": None, "requested_slot": "children"}


def test_helpline_request_mid_form_is_handed_back_to_the_rules() -> None:
    tracker = make_tracker(
        slots={
            **SELF_SO_FAR,
            "what_happening": "skipped",
            "abuse_kinds": ["skipped"],
            "requested_slot": "children",
        },
        intent="helpline_men",
        text="is there a helpline for men",
        active_loop=FORM,
    )
    events, responses = run_action(ACTION, tracker)
    assert responses == []
    # No SlotSet other than requested_slot: the form rejects and the signpost rule runs.
    assert {k for k in slot_values(events)} <= {"requested_slot"}


def test_abuse_kinds_can_be_added_one_by_one() -> None:
    first = make_tracker(
        slots={**SELF_SO_FAR, "what_happening": "skipped", "requested_slot": "abuse_kinds"},
        intent="inform",
        answered={"abuse_kinds": ["physical"]},
        active_loop=FORM,
    )
    events, _ = run_action(ACTION, first)
    assert slot_values(events) == {
        "abuse_kinds": ["physical"],
        "requested_slot": "abuse_kinds_more",
    }

    second = make_tracker(
        slots={
            **SELF_SO_FAR,
            "what_happening": "skipped",
            "abuse_kinds": ["physical"],
            "requested_slot": "abuse_kinds_more",
        },
        intent="inform",
        answered={"abuse_kinds_more": ["economic", "physical"]},
        active_loop=FORM,
    )
    events, _ = run_action(ACTION, second)
    assert slot_values(events) == {
        "abuse_kinds_more": None,
        "abuse_kinds": ["physical", "economic"],
        "requested_slot": "abuse_kinds_more",
    }

    done = make_tracker(
        slots={
            **SELF_SO_FAR,
            "what_happening": "skipped",
            "abuse_kinds": ["physical", "economic"],
            "requested_slot": "abuse_kinds_more",
        },
        intent="deny",
        answered={"abuse_kinds_more": ["done"]},
        active_loop=FORM,
    )
    events, _ = run_action(ACTION, done)
    assert slot_values(events) == {"abuse_kinds_more": ["done"], "requested_slot": "children"}


def test_a_phone_number_is_checked_and_tidied() -> None:
    so_far = {
        **SELF_SO_FAR,
        "what_happening": "skipped",
        "abuse_kinds": ["skipped"],
        "children": "no",
        "immediate_danger": "no",
        "contact_method": "phone",
        "requested_slot": "contact_detail",
    }
    bad = make_tracker(
        slots=so_far, intent="inform", answered={"contact_detail": "tomorrow"}, active_loop=FORM
    )
    events, responses = run_action(ACTION, bad)
    assert responses == ["utter_invalid_contact_detail"]
    assert slot_values(events) == {"contact_detail": None, "requested_slot": "contact_detail"}

    good = make_tracker(
        slots=so_far,
        intent="inform",
        answered={"contact_detail": "07700 900 123"},
        active_loop=FORM,
    )
    events, responses = run_action(ACTION, good)
    assert responses == []
    assert slot_values(events) == {
        "contact_detail": "+447700900123",
        "requested_slot": "safe_times",
    }


def test_naming_a_language_answers_the_language_question_too() -> None:
    tracker = make_tracker(
        slots={
            **SELF_SO_FAR,
            "what_happening": "skipped",
            "abuse_kinds": ["skipped"],
            "children": "no",
            "immediate_danger": "no",
            "contact_method": "none",
            "requested_slot": "interpreter",
        },
        intent="inform",
        text="polish please",
        entities=[{"entity": "interpreter", "value": "language", "start": 0, "end": 6}],
        answered={"interpreter": "language"},
        active_loop=FORM,
    )
    events, _ = run_action(ACTION, tracker)
    assert slot_values(events) == {
        "interpreter": "language",
        "language": "Polish",
        "requested_slot": "consent_to_share",
    }


def test_third_party_is_never_asked_for_the_victims_contact() -> None:
    tracker = make_tracker(
        slots={
            "reporter_type": "contractor",
            "what_happening": "bruises",
            "abuse_kinds": ["skipped"],
            "location": "skipped",
            "children": "unknown",
            "immediate_danger": "no",
            "requested_slot": "contact_method",
        },
        intent="deny",
        answered={"contact_method": "none"},
        active_loop=FORM,
    )
    events, _ = run_action(ACTION, tracker)
    assert slot_values(events) == {"contact_method": "none", "requested_slot": "send_report"}


def test_the_form_ends_after_the_send_question() -> None:
    tracker = make_tracker(
        slots={
            "reporter_type": "neighbour",
            "what_happening": "skipped",
            "abuse_kinds": ["skipped"],
            "location": "skipped",
            "children": "no",
            "immediate_danger": "no",
            "contact_method": "none",
            "consent_to_share": "yes",
            "requested_slot": "send_report",
        },
        intent="affirm",
        answered={"send_report": "yes"},
        active_loop=FORM,
    )
    events, _ = run_action(ACTION, tracker)
    assert slot_values(events) == {"send_report": "yes", "requested_slot": None}
