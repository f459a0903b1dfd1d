"""Believe first, check it is safe, then offer choices; kinds already chosen are not offered."""

from typing import Any

import pytest

from actions.abuse_kinds import ActionAskAbuseKindsMore
from actions.conversation_start import ActionAcknowledge, ActionSafeToTalk
from actions.housing_options import ActionHousingOptions
from tests.actions.conftest import (
    ORG,
    CaseServiceStub,
    make_tracker,
    run_action,
    run_action_messages,
    slot_values,
)

OPTIONS = [
    {
        "id": "transfer",
        "title": "A move to another home",
        "text": "We can look at a management transfer.",
        "discreet_text": "We can talk about a move to another home.",
    },
    {"id": "broken", "title": "No text"},
]


def test_a_disclosure_is_acknowledged_then_asked_if_it_is_safe_to_talk() -> None:
    _, responses = run_action(ActionAcknowledge(), make_tracker(intent="disclose"))
    assert responses == ["utter_acknowledge", "utter_ask_safe_to_talk"]


def test_when_it_is_known_to_be_safe_the_choices_come_straight_after() -> None:
    tracker = make_tracker(slots={"safe_to_talk": "yes"}, intent="disclose")
    _, responses = run_action(ActionAcknowledge(), tracker)
    assert responses == ["utter_acknowledge", "utter_how_can_i_help"]


@pytest.mark.parametrize(
    ("intent", "answer", "response"),
    [("affirm", "yes", "utter_how_can_i_help"), ("deny", "no", "utter_not_safe")],
)
def test_the_safety_answer_is_kept(intent: str, answer: str, response: str) -> None:
    events, responses = run_action(ActionSafeToTalk(), make_tracker(intent=intent))
    assert responses == [response]
    assert slot_values(events) == {"safe_to_talk": answer}


def _kinds_offered(slots: dict[str, Any], wording: str) -> list[str]:
    tracker = make_tracker(slots=slots, metadata={"channel": "sms", "wording": wording})
    _, [message] = run_action_messages(ActionAskAbuseKindsMore(), tracker)
    return (
        [b["payload"] for b in message["buttons"]],
        message["text"],
        [b["title"] for b in message["buttons"]],
    )


def test_kinds_already_chosen_are_not_offered_again() -> None:
    payloads, text, titles = _kinds_offered({"abuse_kinds": ["economic", "physical"]}, "web")
    assert text.startswith("Anything else?")
    assert '/inform{"abuse_kind":"economic"}' not in payloads
    assert '/inform{"abuse_kind":"physical"}' not in payloads
    assert '/inform{"abuse_kind":"sexual"}' in payloads  # single braces: a payload Rasa parses
    assert payloads[-2:] == ["/deny", "/send_now"]
    assert "Physical" not in titles


def test_the_discreet_wording_is_kept_when_filtering() -> None:
    _, _, titles = _kinds_offered({"abuse_kinds": ["economic"]}, "discreet")
    assert "Body" in titles and "Physical" not in titles and "Money" not in titles


def test_housing_tied_to_someone_gets_acknowledged_options_and_the_offer(
    case_service: CaseServiceStub,
) -> None:
    case_service.respond("GET", "/internal/org", 200, {**ORG, "housing_options": OPTIONS})
    tracker = make_tracker(intent="housing_abuse", metadata={"wording": "web"})
    _, messages = run_action_messages(ActionHousingOptions(), tracker)
    assert [m["response"] for m in messages] == [
        "utter_housing_acknowledge",
        "utter_housing_options",
        "utter_offer_report",
    ]
    assert messages[1]["options_text"] == (
        "- A move to another home: We can look at a management transfer."
    )


def test_options_on_a_phone_use_the_discreet_lines_without_titles(
    case_service: CaseServiceStub,
) -> None:
    case_service.respond("GET", "/internal/org", 200, {**ORG, "housing_options": OPTIONS})
    tracker = make_tracker(intent="options_info", metadata={"wording": "discreet"})
    _, messages = run_action_messages(ActionHousingOptions(), tracker)
    assert [m["response"] for m in messages] == ["utter_housing_options", "utter_offer_report"]
    assert messages[0]["options_text"] == "- We can talk about a move to another home."


def test_options_without_the_service_are_generic(case_service_down: None) -> None:
    _, responses = run_action(ActionHousingOptions(), make_tracker(intent="options_info"))
    assert responses == ["utter_housing_options_generic", "utter_offer_report"]
