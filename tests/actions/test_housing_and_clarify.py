"""action_housing_pointer and action_clarify: always an answer, even with the service down."""

from actions.clarify import ActionClarify
from actions.housing_pointer import ActionHousingPointer
from tests.actions.conftest import (
    ORG,
    CaseServiceStub,
    make_tracker,
    run_action,
    run_action_messages,
)


def test_housing_question_gets_the_landlords_usual_contact(case_service: CaseServiceStub) -> None:
    events, messages = run_action_messages(
        ActionHousingPointer(), make_tracker(intent="housing_question", text="my boiler's broken")
    )
    assert events == []
    assert [m["response"] for m in messages] == ["utter_housing_pointer"]
    assert messages[0]["contact_text"] == ORG["contact_text"]


def test_a_housing_question_naming_someone_close_gets_the_options_not_the_pointer(
    case_service: CaseServiceStub,
) -> None:
    tracker = make_tracker(
        intent="housing_question", text="can you fix the door, my ex kicked it in"
    )
    _, responses = run_action(ActionHousingPointer(), tracker)
    assert responses == [
        "utter_housing_acknowledge",
        "utter_housing_options_generic",
        "utter_offer_report",
    ]


def test_housing_pointer_without_the_service_is_generic(case_service_down: None) -> None:
    _, responses = run_action(ActionHousingPointer(), make_tracker(intent="housing_question"))
    assert responses == ["utter_housing_pointer_generic"]


def test_clarify_offers_choices_and_the_nations_24_hour_line(
    case_service: CaseServiceStub,
) -> None:
    case_service.respond(
        "GET",
        "/internal/helplines",
        200,
        {
            "need": "general",
            "nation": "SCT",
            "helplines": [
                {
                    "name": "Scotland's Domestic Abuse and Forced Marriage Helpline",
                    "contact": "0800 027 1234",
                    "hours": "24 hours",
                    "verified": True,
                }
            ],
        },
    )
    _, messages = run_action_messages(
        ActionClarify(), make_tracker(slots={"nation": "SCT"}, intent="nlu_fallback")
    )
    assert [m["response"] for m in messages] == ["utter_clarify"]
    assert messages[0]["helpline_contact"] == "0800 027 1234"
    assert case_service.requests_to("GET", "/internal/helplines")[0]["query"] == {
        "need": "general",
        "nation": "SCT",
    }


def test_clarify_without_the_service_uses_the_national_line(case_service_down: None) -> None:
    _, responses = run_action(ActionClarify(), make_tracker(intent="nlu_fallback"))
    assert responses == ["utter_clarify_fallback"]


def test_wrong_token_is_treated_as_service_down(case_service: CaseServiceStub, monkeypatch) -> None:
    monkeypatch.setenv("QD_SERVICE_TOKEN", "wrong")
    _, responses = run_action(ActionClarify(), make_tracker(intent="nlu_fallback"))
    assert responses == ["utter_clarify_fallback"]


def test_clarify_as_core_fallback_reverts_the_turn_so_it_answers_once(
    case_service_down: None,
) -> None:
    """Without the revert nothing predicts listening next and the reply repeats ten times."""
    events, _ = run_action(ActionClarify(), make_tracker(intent="affirm"))
    assert events == [{"event": "rewind", "timestamp": None}]


def test_clarify_after_an_nlu_fallback_keeps_the_turn(case_service_down: None) -> None:
    events, _ = run_action(ActionClarify(), make_tracker(intent="nlu_fallback"))
    assert events == []


def test_clarify_gives_a_named_specialist_line_first(case_service: CaseServiceStub) -> None:
    """An unsure classifier must not cost a man looking for his helpline the number."""
    case_service.respond(
        "GET",
        "/internal/helplines",
        200,
        {
            "need": "men",
            "nation": "ENG",
            "helplines": [
                {
                    "name": "Men's Advice Line",
                    "contact": "0808 801 0327",
                    "hours": "",
                    "verified": 0,
                }
            ],
        },
    )
    _, messages = run_action_messages(
        ActionClarify(),
        make_tracker(intent="nlu_fallback", text="any services for blokes abused by their wife"),
    )
    assert [m["response"] for m in messages] == ["utter_helpline_no_hours", "utter_clarify"]
    assert messages[0]["helpline_contact"] == "0808 801 0327"
    needs = [r["query"]["need"] for r in case_service.requests_to("GET", "/internal/helplines")]
    assert needs == ["men", "general"]
