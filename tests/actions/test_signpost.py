"""action_signpost and the need chooser."""

import pytest

from actions.signpost import ActionSignpost
from actions.signpost_needs import choose_need, need_from_keywords
from tests.actions.conftest import CaseServiceStub, make_tracker, run_action, run_action_messages

MEN = {
    "need": "men",
    "nation": "ENG",
    "helplines": [
        {
            "name": "Men's Advice Line",
            "contact": "0808 801 0327",
            "hours": "Mon-Fri 10am-8pm",
            "verified": False,
        },
        {
            "name": "National Domestic Abuse Helpline",
            "contact": "0808 2000 247",
            "hours": "24 hours",
            "verified": True,
        },
    ],
}


@pytest.mark.parametrize(
    ("intent", "need"),
    [
        ("helpline_general", "general"),
        ("helpline_men", "men"),
        ("helpline_lgbt", "lgbt"),
        ("helpline_honour", "honour"),
        ("helpline_deaf", "deaf"),
        ("helpline_perpetrator", "perpetrator"),
        ("helpline_injunction", "injunction"),
    ],
)
def test_each_helpline_intent_has_its_need(intent: str, need: str) -> None:
    assert choose_need(intent, f"/{intent}") == need  # as a button sends it


@pytest.mark.parametrize(
    "text",
    [
        "his temper is frightening me",
        "she gets violent with me when she drinks",
        "my husband won't do anger management and he still hurts me",
        "I'm the one that gets hurt when he's angry",
        "her jealousy is out of control, I can't go anywhere",
        "my friend's husband is aggressive and controlling",
        "",
    ],
)
def test_someone_describing_harm_to_them_never_gets_the_line_for_people_who_harm(
    text: str,
) -> None:
    assert choose_need("helpline_perpetrator", text) == "general"


@pytest.mark.parametrize(
    "text",
    [
        "I lost my temper and pushed my wife",
        "I'm worried about my own behaviour",
        "my girlfriend says I'm too controlling and I want to change",
        "I hit him back after he hit me and I'm ashamed",
    ],
)
def test_someone_saying_they_cause_harm_gets_it(text: str) -> None:
    assert choose_need("helpline_perpetrator", text) == "perpetrator"


@pytest.mark.parametrize(
    ("text", "need"),
    [
        ("is there a helpline? I'm Deaf and use BSL", "deaf"),
        ("my family are forcing me into a forced marriage", "honour"),
        ("I'm gay and need support", "lgbt"),
        ("my trans partner", "lgbt"),
        ("I'm worried about my own behaviour", "perpetrator"),
        ("I hurt my partner last night", "perpetrator"),
        ("I'm a man and need to talk to someone", "men"),
        ("my wife hits me", "men"),
        ("how do I get a non-molestation order", "injunction"),
        ("any support near me", "local"),
        ("who can I talk to", None),
        ("I need a transfer", None),
    ],
)
def test_keywords_back_up_the_classifier(text: str, need: str) -> None:
    assert need_from_keywords(text) == need


def test_a_specific_intent_wins_over_keywords() -> None:
    assert choose_need("helpline_injunction", "I'm deaf, how do I get an injunction") == (
        "injunction"
    )
    assert choose_need("helpline_general", "I'm deaf") == "deaf"


def test_one_message_per_helpline_then_anything_else(case_service: CaseServiceStub) -> None:
    case_service.respond("GET", "/internal/helplines", 200, MEN)
    tracker = make_tracker(intent="helpline_men", text="is there a helpline for men")
    events, messages = run_action_messages(ActionSignpost(), tracker)

    assert events == []
    assert [m["response"] for m in messages] == [
        "utter_helpline",
        "utter_helpline",
        "utter_anything_else",
    ]
    assert messages[0]["helpline_name"] == "Men's Advice Line"
    assert messages[0]["helpline_contact"] == "0808 801 0327"
    assert messages[0]["helpline_hours"] == "Mon-Fri 10am-8pm"
    [request] = case_service.requests_to("GET", "/internal/helplines")
    assert request["query"] == {"need": "men", "nation": "ENG"}


def test_the_organisation_is_fetched_once_and_cached(case_service: CaseServiceStub) -> None:
    case_service.respond("GET", "/internal/helplines", 200, MEN)
    for _ in range(3):
        run_action(ActionSignpost(), make_tracker(intent="helpline_men"))
    assert len(case_service.requests_to("GET", "/internal/org")) == 1


def test_a_named_nation_is_used(case_service: CaseServiceStub) -> None:
    case_service.respond("GET", "/internal/helplines", 200, {**MEN, "nation": "WLS"})
    run_action(
        ActionSignpost(),
        make_tracker(slots={"nation": "WLS"}, intent="helpline_general", text="helpline in Wales"),
    )
    [request] = case_service.requests_to("GET", "/internal/helplines")
    assert request["query"] == {"need": "general", "nation": "WLS"}
    assert case_service.requests_to("GET", "/internal/org") == []


def test_at_most_three_helplines(case_service: CaseServiceStub) -> None:
    many = [
        {"name": f"Line {i}", "contact": f"0800 000 00{i}", "hours": "24 hours"} for i in range(5)
    ]
    case_service.respond("GET", "/internal/helplines", 200, {"helplines": many})
    _, responses = run_action(ActionSignpost(), make_tracker(intent="helpline_general"))
    assert responses.count("utter_helpline") == 3


def test_a_helpline_without_hours_is_still_given(case_service: CaseServiceStub) -> None:
    case_service.respond(
        "GET",
        "/internal/helplines",
        200,
        {"helplines": [{"name": "Respect Phoneline", "contact": "0808 8024040", "hours": None}]},
    )
    _, responses = run_action(ActionSignpost(), make_tracker(intent="helpline_perpetrator"))
    assert responses == ["utter_helpline_no_hours", "utter_anything_else"]


def test_service_down_still_gives_the_national_helpline(case_service_down: None) -> None:
    _, responses = run_action(ActionSignpost(), make_tracker(intent="helpline_deaf"))
    assert responses == ["utter_helpline_fallback_all", "utter_anything_else"]


def test_during_the_report_the_form_asks_the_next_question_instead(
    case_service: CaseServiceStub,
) -> None:
    case_service.respond("GET", "/internal/helplines", 200, MEN)
    tracker = make_tracker(
        intent="helpline_men",
        active_loop="report_form",
        slots={"requested_slot": "children", "reporter_type": "self"},
    )
    _, responses = run_action(ActionSignpost(), tracker)
    assert responses == ["utter_helpline", "utter_helpline"]
