"""action_submit_report and action_discard_report against a real HTTP stand-in."""

import logging
from typing import Any

import pytest

from actions.discard_report import ActionDiscardReport
from actions.report_slots import REPORT_SLOTS
from actions.submit_report import ActionSubmitReport
from tests.actions.conftest import (
    SERVICE_TOKEN,
    CaseServiceStub,
    make_tracker,
    run_action,
    run_action_messages,
    slot_values,
)

CONTRACT_FIELDS = {
    "idempotency_key",
    "address_key",
    "channel",
    "reporter_type",
    "what_happening",
    "abuse_kinds",
    "location",
    "children",
    "immediate_danger",
    "contact_method",
    "contact_detail",
    "safe_times",
    "voicemail_safe",
    "letter_safe",
    "code_word",
    "language",
    "interpreter",
    "consent_to_share",
    "security_needed",
}
FORM_STARTED = {"event": "active_loop", "name": "report_form", "timestamp": 1700000000.5}
CASE = {
    "reference": "QD-ABCD-1234",
    "follow_up_code": None,
    "urgency": "standard",
    "deadline": "2026-11-24T16:30:00+00:00",
    "deadline_text": "by 4:30pm on Tuesday 24 November",
    "contact_method": "phone",
    "team_open_now": False,
    "helpline_name": "Live Fear Free Helpline (Wales)",
    "helpline_contact": "0808 80 10 800",
    "out_of_hours_name": None,
    "out_of_hours_contact": None,
}
SELF_PHONE: dict[str, Any] = {
    "reporter_type": "self",
    "what_happening": "He takes my wages.",
    "abuse_kinds": ["economic", "psychological"],
    "abuse_kinds_more": ["done"],
    "children": "yes",
    "immediate_danger": "no",
    "contact_method": "phone",
    "contact_detail": "07700900123",
    "safe_times": "weekday mornings",
    "voicemail_safe": "no",
    "letter_safe": "skipped",
    "code_word": "bluebell",
    "interpreter": "none",
    "consent_to_share": "yes",
    "security_needed": "unknown",
    "send_report": "yes",
}


def assert_cleared(events: Any) -> None:
    """Every report answer is forgotten; report_pending is False so the rules wait."""
    values = slot_values(events)
    assert set(values) == set(REPORT_SLOTS) | {"requested_slot"}
    assert values.pop("report_pending") is False
    assert all(value is None for value in values.values())


def test_sends_the_report_and_clears_every_answer(case_service: CaseServiceStub) -> None:
    case_service.respond("POST", "/internal/cases", 201, CASE)
    tracker = make_tracker(
        slots=SELF_PHONE, intent="affirm", events=[FORM_STARTED], metadata={"channel": "sms"}
    )
    events, messages = run_action_messages(ActionSubmitReport(), tracker)

    assert [m["response"] for m in messages] == [
        "utter_case_created",
        "utter_until_then_closed",
        "utter_after_report",
    ]
    assert messages[0]["reference"] == "QD-ABCD-1234"
    assert messages[0]["deadline_text"] == "by 4:30pm on Tuesday 24 November"
    assert messages[1]["helpline_contact"] == "0808 80 10 800"
    assert_cleared(events)

    [request] = case_service.requests_to("POST", "/internal/cases")
    assert request["headers"]["Authorization"] == f"Bearer {SERVICE_TOKEN}"
    body = request["json"]
    assert set(body) == CONTRACT_FIELDS
    assert body["channel"] == "sms"
    assert body["abuse_kinds"] == ["economic", "psychological"]
    assert body["letter_safe"] is None  # skipped -> null
    assert body["contact_detail"] == "07700900123"
    assert body["security_needed"] == "unknown"
    assert body["idempotency_key"].startswith("qd-") and len(body["idempotency_key"]) <= 200
    assert "conversation-1" not in body["idempotency_key"]
    assert body["address_key"] is None  # messaging channels have no address


@pytest.mark.parametrize(
    ("given", "sent"),
    [("ab" * 32, "ab" * 32), ("not a keyed hash", None), ("AB" * 32, None), (None, None)],
)
def test_the_gateways_address_key_is_forwarded_for_the_report_cap(
    case_service: CaseServiceStub, given: str | None, sent: str | None
) -> None:
    case_service.respond("POST", "/internal/cases", 201, CASE)
    metadata = {"channel": "web", "wording": "web", "address_key": given}
    tracker = make_tracker(
        slots=SELF_PHONE, intent="affirm", events=[FORM_STARTED], metadata=metadata
    )
    run_action(ActionSubmitReport(), tracker)
    [request] = case_service.requests_to("POST", "/internal/cases")
    assert request["json"]["address_key"] == sent


def test_anonymous_report_gives_the_follow_up_code(case_service: CaseServiceStub) -> None:
    case_service.respond(
        "POST",
        "/internal/cases",
        201,
        {**CASE, "contact_method": None, "follow_up_code": "PLUM-RIVER-42"},
    )
    slots = {
        "reporter_type": "self",
        "what_happening": "skipped",
        "abuse_kinds": ["skipped"],
        "children": "skipped",
        "immediate_danger": "skipped",
        "contact_method": "skipped",
        "interpreter": "skipped",
        "consent_to_share": "skipped",
        "security_needed": "skipped",
        "send_report": "yes",
    }
    tracker = make_tracker(slots=slots, intent="affirm", events=[FORM_STARTED])
    events, messages = run_action_messages(ActionSubmitReport(), tracker)

    assert [m["response"] for m in messages] == [
        "utter_case_created_anonymous",
        "utter_until_then_closed",
        "utter_follow_up_code",
        "utter_after_report",
    ]
    assert messages[2]["follow_up_code"] == "PLUM-RIVER-42"
    body = case_service.requests_to("POST", "/internal/cases")[0]["json"]
    assert body["channel"] == "web"
    assert body["contact_method"] is None and body["contact_detail"] is None
    assert body["what_happening"] is None and body["abuse_kinds"] == []
    assert_cleared(events)


def test_third_party_contact_detail_is_only_sent_for_a_method_that_uses_it(
    case_service: CaseServiceStub,
) -> None:
    case_service.respond("POST", "/internal/cases", 201, {**CASE, "contact_method": "none"})
    slots = {
        "reporter_type": "neighbour",
        "location": "Elm Court",
        "contact_method": "none",
        "contact_detail": "left over",
        "send_report": "yes",
    }
    run_action(ActionSubmitReport(), make_tracker(slots=slots, events=[FORM_STARTED]))
    body = case_service.requests_to("POST", "/internal/cases")[0]["json"]
    assert body["reporter_type"] == "neighbour"
    assert body["location"] == "Elm Court"
    assert body["contact_detail"] is None


def test_failure_keeps_the_answers_and_a_retry_reuses_the_key(
    case_service: CaseServiceStub,
) -> None:
    case_service.respond("POST", "/internal/cases", 503, {"detail": "down"})
    tracker = make_tracker(slots=SELF_PHONE, intent="affirm", events=[FORM_STARTED])
    events, responses = run_action(ActionSubmitReport(), tracker)
    assert responses == ["utter_report_not_sent_all"]  # this profile names no 24-hour line
    assert slot_values(events) == {"report_pending": True}

    case_service.respond("POST", "/internal/cases", 201, CASE)
    retry = make_tracker(
        slots={**SELF_PHONE, "report_pending": True},
        intent="affirm",
        events=[FORM_STARTED, {"event": "slot", "name": "report_pending", "value": True}],
    )
    _, responses = run_action(ActionSubmitReport(), retry)
    assert responses[0] == "utter_case_created"
    first, second = case_service.requests_to("POST", "/internal/cases")
    assert first["json"]["idempotency_key"] == second["json"]["idempotency_key"]


def test_unreachable_service_still_answers_with_every_nations_line(
    case_service_down: None,
) -> None:
    tracker = make_tracker(slots=SELF_PHONE, intent="affirm", events=[FORM_STARTED])
    events, responses = run_action(ActionSubmitReport(), tracker)
    assert responses == ["utter_report_not_sent_all"]
    assert slot_values(events) == {"report_pending": True}


def test_a_refused_report_gives_the_organisations_nation_line(
    case_service: CaseServiceStub,
) -> None:
    case_service.respond(
        "GET",
        "/internal/org",
        200,
        {"nation": "WLS", "helpline_name": "Live Fear Free", "helpline_contact": "0808 80 10 800"},
    )
    case_service.respond("POST", "/internal/cases", 503, {"detail": "down"})
    tracker = make_tracker(slots=SELF_PHONE, intent="affirm", events=[FORM_STARTED])
    _, messages = run_action_messages(ActionSubmitReport(), tracker)
    assert [m["response"] for m in messages] == ["utter_report_not_sent"]
    assert messages[0]["helpline_contact"] == "0808 80 10 800"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({"urgency": "emergency", "team_open_now": True}, "utter_case_created_urgent"),
        (
            {"urgency": "emergency", "team_open_now": False, "contact_method": None},
            "utter_case_created_urgent_anonymous",
        ),
    ],
)
def test_an_urgent_report_is_told_when_the_team_will_see_it_and_999(
    case_service: CaseServiceStub, case: dict[str, Any], expected: str
) -> None:
    case_service.respond("POST", "/internal/cases", 201, {**CASE, **case})
    tracker = make_tracker(slots=SELF_PHONE, intent="affirm", events=[FORM_STARTED])
    _, messages = run_action_messages(ActionSubmitReport(), tracker)
    responses = [m["response"] for m in messages]
    assert responses[0] == expected
    assert messages[0]["deadline_text"] == "by 4:30pm on Tuesday 24 November"
    open_now = case["team_open_now"]
    assert responses[1] == ("utter_until_then" if open_now else "utter_until_then_closed")


def test_an_out_of_hours_service_is_named_when_the_profile_has_one(
    case_service: CaseServiceStub,
) -> None:
    case_service.respond(
        "POST",
        "/internal/cases",
        201,
        {**CASE, "out_of_hours_name": "Out-of-hours line", "out_of_hours_contact": "0300 000 0000"},
    )
    tracker = make_tracker(slots=SELF_PHONE, intent="affirm", events=[FORM_STARTED])
    _, responses = run_action(ActionSubmitReport(), tracker)
    assert responses[:3] == ["utter_case_created", "utter_until_then_closed", "utter_out_of_hours"]


def test_not_safe_to_talk_sends_nothing_and_asks_again_next_time(
    case_service: CaseServiceStub,
) -> None:
    tracker = make_tracker(slots={"reporter_type": "self", "safe_to_talk": "no"})
    events, responses = run_action(ActionSubmitReport(), tracker)
    assert responses == []
    assert case_service.requests_to("POST", "/internal/cases") == []
    assert slot_values(events)["safe_to_talk"] is None


def test_a_new_report_gets_a_new_key(case_service: CaseServiceStub) -> None:
    case_service.respond("POST", "/internal/cases", 201, CASE)
    later = {**FORM_STARTED, "timestamp": 1700009999.0}
    run_action(ActionSubmitReport(), make_tracker(slots=SELF_PHONE, events=[FORM_STARTED]))
    run_action(ActionSubmitReport(), make_tracker(slots=SELF_PHONE, events=[later]))
    first, second = case_service.requests_to("POST", "/internal/cases")
    assert first["json"]["idempotency_key"] != second["json"]["idempotency_key"]


def test_saying_no_sends_nothing(case_service: CaseServiceStub) -> None:
    tracker = make_tracker(slots={**SELF_PHONE, "send_report": "no"}, intent="deny")
    events, responses = run_action(ActionSubmitReport(), tracker)
    assert responses == ["utter_report_discarded"]
    assert case_service.requests_to("POST", "/internal/cases") == []
    assert_cleared(events)


def test_discard_forgets_everything() -> None:
    tracker = make_tracker(slots={**SELF_PHONE, "report_pending": True}, intent="deny")
    events, responses = run_action(ActionDiscardReport(), tracker)
    assert responses == ["utter_report_discarded"]
    assert_cleared(events)


@pytest.mark.parametrize("status", [201, 500])
def test_logs_carry_no_disclosure_contact_or_reference(
    case_service: CaseServiceStub, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    caplog.set_level(logging.DEBUG)
    canary = "CANARY-7f3a"
    case_service.respond(
        "POST",
        "/internal/cases",
        status,
        {**CASE, "reference": "QD-CANA-RY00", "follow_up_code": "CANARY-CODE"},
    )
    slots = {
        **SELF_PHONE,
        "what_happening": canary,
        "contact_detail": "07700900999",
        "code_word": canary,
    }
    run_action(ActionSubmitReport(), make_tracker(slots=slots, text=canary, events=[FORM_STARTED]))
    for secret in (canary, "07700900999", "QD-CANA-RY00", "CANARY-CODE", "conversation-1"):
        assert secret not in caplog.text
