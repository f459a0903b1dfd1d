"""The case from alert to closure: contact, reveal with a reason, DASH and MARAC, sharing,
repairs, reviews, links and follow-up messages; each audited, each sealed where personal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.audit.service import Auditor
from api.audit.verify import verify
from api.casework import repairs
from api.casework.desk import Desk
from api.casework.models import CaseEntry, RepairOrder
from api.crypto.keys import hash_key_from, keyring_from
from api.dash.questions import CODES
from api.db import dispose_engines, session_factory, utcnow
from api.settings import Settings
from tests.api.casework_world import CANARY, World, world_fixture


@pytest.fixture
def world(migrated: Settings) -> Iterator[World]:
    yield from world_fixture(migrated)


def api(world: World, who: str, verb: str, case: str, suffix: str = "", /, **body: object):  # type: ignore[no-untyped-def]
    """`verb` the case's route `suffix` as `who`; keyword arguments are the JSON body."""
    path = f"/api/v1/cases/{world.case_id(case)}{suffix}"
    return world.request(who, verb, path, json=body or None)


def audit_actions(world: World) -> list[str]:
    with session_factory(world.settings)() as db:
        return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_viewing_a_case_shows_the_report_and_is_audited(world: World) -> None:
    response = api(world, "ann", "GET", "ann_case")
    assert response.status_code == 200
    assert CANARY in response.json()["report"]["what_happening"]
    assert "contact_detail" not in response.json()["report"]  # contact only on demand
    assert audit_actions(world)[-1] == "case.view"


def test_contact_details_need_a_reason_which_is_recorded_and_audited(world: World) -> None:
    refused = api(world, "ann", "POST", "ann_case", "/contact-details", reason="curious")
    assert refused.status_code == 422
    shown = api(
        world,
        "ann",
        "POST",
        "ann_case",
        "/contact-details",
        reason="arranging_contact",
        detail="first call",
    )
    assert shown.status_code == 200 and shown.json()["contact_detail"] == "07700 900111"
    assert audit_actions(world)[-1] == "case.contact_revealed"
    entries = api(world, "ann", "GET", "ann_case", "/entries").json()
    assert [e["kind"] for e in entries] == ["contact_revealed"]
    assert entries[0]["outcome"] == "arranging_contact"


def test_first_contact_not_safe_to_talk_is_recorded_and_spoke_moves_the_case_on(
    world: World,
) -> None:
    not_safe = api(
        world,
        "ann",
        "POST",
        "ann_case",
        "/entries",
        kind="contact",
        text="Answered, said not now.",
        method="phone",
        outcome="not_safe_to_talk",
    )
    assert not_safe.status_code == 201
    assert api(world, "ann", "GET", "ann_case").json()["status"] == "new"
    queue = world.request("ann", "GET", "/api/v1/queue").json()
    [row] = [r for r in queue if r["case_id"] == world.case_id("ann_case")]
    assert row["last_contact_outcome"] == "not_safe_to_talk" and row["first_contact_at"]
    api(
        world,
        "ann",
        "POST",
        "ann_case",
        "/entries",
        kind="contact",
        text="Spoke at the agreed time.",
        method="phone",
        outcome="spoke",
    )
    assert api(world, "ann", "GET", "ann_case").json()["status"] == "in_contact"


def test_an_action_not_taken_needs_its_reason(world: World) -> None:
    missing = api(
        world, "ann", "POST", "ann_case", "/entries", kind="action_not_taken", text="No letter."
    )
    assert missing.status_code == 400
    given = api(
        world,
        "ann",
        "POST",
        "ann_case",
        "/entries",
        kind="action_not_taken",
        text="No letter sent.",
        reason="Letters are not safe.",
    )
    assert given.status_code == 201 and given.json()["body"]["reason"] == "Letters are not safe."


def test_dash_with_14_yes_is_high_risk_and_meets_the_marac_threshold(world: World) -> None:
    answers = {code: ("yes" if i < 14 else "no") for i, code in enumerate(CODES)}
    result = api(world, "ann", "POST", "ann_case", "/dash", answers=answers)
    assert result.status_code == 201, result.text
    assert result.json()["risk_level"] == "high"
    assert "visible_high_risk" in result.json()["marac_criteria"]
    case = api(world, "ann", "GET", "ann_case").json()
    assert (case["risk_level"], case["status"]) == ("high", "risk_assessed")
    assert api(world, "ann", "GET", "ann_case", "/dash").json()["yes_count"] == 14


def test_dash_refuses_an_unknown_question(world: World) -> None:
    result = api(world, "ann", "POST", "ann_case", "/dash", answers={"nonsense": "yes"})
    assert result.status_code == 400


def test_sharing_without_consent_needs_a_reason_and_a_manager(world: World) -> None:
    base = {"recipient": "West Midlands Police", "what": "Address and risk level"}
    no_reason = api(
        world,
        "ann",
        "POST",
        "ann_case",
        "/sharing",
        **base,
        lawful_basis="safeguarding",
        with_consent=False,
    )
    assert no_reason.status_code == 400
    consent_basis_without_consent = api(
        world,
        "ann",
        "POST",
        "ann_case",
        "/sharing",
        **base,
        lawful_basis="consent",
        with_consent=False,
        reason="x",
    )
    assert consent_basis_without_consent.status_code == 400
    made = api(
        world,
        "ann",
        "POST",
        "ann_case",
        "/sharing",
        **base,
        lawful_basis="legal_duty",
        with_consent=False,
        reason="Police request under s.29",
    )
    assert made.status_code == 201
    record_id = made.json()["id"]
    [row] = api(world, "ann", "GET", "ann_case", "/sharing").json()
    assert row["signed_off"] is False and row["reason"] == "Police request under s.29"
    assert (
        api(world, "ann", "POST", "ann_case", f"/sharing/{record_id}/sign-off").status_code == 403
    )
    assert (
        api(world, "meg", "POST", "ann_case", f"/sharing/{record_id}/sign-off").status_code == 200
    )
    assert api(world, "ann", "GET", "ann_case", "/sharing").json()[0]["signed_off"] is True


def test_security_repairs_are_due_in_24_hours_and_overdue_ones_are_flagged(
    world: World,
) -> None:
    made = api(
        world,
        "ann",
        "POST",
        "ann_case",
        "/repairs",
        work="Door chain and new locks",
        contractor_reference="SEC-991",
    )
    assert made.status_code == 201
    [order] = api(world, "ann", "GET", "ann_case", "/repairs").json()
    ordered, due = (dt.datetime.fromisoformat(order[k]) for k in ("ordered_at", "due_at"))
    assert due - ordered == dt.timedelta(hours=24) and not order["overdue"]
    with session_factory(world.settings)() as db:
        later = Desk(
            db,
            world.users["ann"],
            utcnow() + dt.timedelta(hours=25),
            keyring_from(world.settings),
            Auditor(hash_key_from(world.settings)),
        )
        assert [ref for ref, _ in repairs.overdue(later)] == [world.cases["ann_case"].reference]
        assert db.scalars(select(RepairOrder.charged_to_survivor)).all() == [False]


def test_a_repair_can_never_be_charged_to_the_survivor(world: World) -> None:
    api(world, "ann", "POST", "ann_case", "/repairs", work="Locks", contractor_reference="S-1")
    with session_factory(world.settings)() as db, pytest.raises(Exception, match="never_charged"):
        db.execute(RepairOrder.__table__.update().values(charged_to_survivor=True))
        db.commit()


def test_reviews_are_for_managers_and_closing_needs_a_reason(world: World) -> None:
    assert (
        api(world, "ann", "POST", "ann_case", "/reviews", outcome="continue", notes="x").status_code
        == 403
    )
    reviewed = api(world, "meg", "POST", "ann_case", "/reviews", outcome="close", notes="Safe now.")
    assert reviewed.status_code == 201
    no_reason = api(world, "ann", "POST", "ann_case", "/close", reason="bored", note="x")
    assert no_reason.status_code == 422
    closed = api(
        world, "ann", "POST", "ann_case", "/close", reason="survivor_satisfied", note="Safe now."
    )
    assert closed.status_code == 200
    case = api(world, "ann", "GET", "ann_case").json()
    assert (case["status"], case["closure_reason"]) == ("closed", "survivor_satisfied")
    queue = {r["case_id"] for r in world.request("ann", "GET", "/api/v1/queue").json()}
    assert world.case_id("ann_case") not in queue


def test_linked_cases_show_a_reference_never_the_other_reporter(world: World) -> None:
    other = world.cases["anon_case"].reference
    assert api(world, "ann", "POST", "ann_case", "/links", reference=other).status_code == 201
    [linked] = api(world, "ann", "GET", "ann_case", "/links").json()
    assert set(linked) == {"reference", "status", "urgency", "id"}
    south = world.cases["cat_case"].reference
    assert api(world, "ann", "POST", "ann_case", "/links", reference=south).status_code == 400


def test_staff_and_an_anonymous_reporter_exchange_messages(world: World) -> None:
    assert api(world, "ann", "POST", "ann_case", "/messages", text="Hi").status_code == 400
    sent = api(world, "ann", "POST", "anon_case", "/messages", text="We have read your report.")
    assert sent.status_code == 204
    [message] = api(world, "ann", "GET", "anon_case", "/messages").json()
    assert message["text"] == "We have read your report." and not message["from_reporter"]


@pytest.mark.sqlite_only  # it reads the SQLite files' raw bytes
def test_everything_recorded_is_sealed_and_the_audit_chain_verifies(
    world: World, migrated: Settings
) -> None:
    secret = "heron-note-canary-9931"
    api(world, "ann", "POST", "ann_case", "/entries", kind="note", text=secret)
    api(world, "ann", "POST", "ann_case", "/repairs", work=secret, contractor_reference="R-2")
    api(
        world,
        "ann",
        "POST",
        "ann_case",
        "/sharing",
        recipient="IDVA service",
        what=secret,
        lawful_basis="consent",
        with_consent=True,
    )
    api(world, "meg", "POST", "ann_case", "/reviews", outcome="continue", notes=secret)
    with session_factory(migrated)() as db:
        assert db.scalars(select(CaseEntry.kind)).all() == ["note"]
        result = verify(db, hash_key_from(migrated))
    assert result.ok and result.checked >= 4
    dispose_engines()
    files = [p for p in Path(migrated.var_dir).rglob("*") if p.is_file()]
    assert files and not [p for p in files if secret.encode() in p.read_bytes()]
    assert not [p for p in files if CANARY.encode() in p.read_bytes()]


def test_taking_a_case_acknowledges_its_alert(world: World) -> None:
    from api.alerts.models import Alert

    assert api(world, "bob", "POST", "triage_case", "/take").status_code == 200
    with session_factory(world.settings)() as db:
        alert = db.scalars(select(Alert).where(Alert.case_id == world.case_id("triage_case"))).one()
    assert alert.acknowledged_by == world.users["bob"].id


def test_a_marac_referral_is_logged_as_sharing_and_makes_the_next_dash_a_repeat(
    world: World,
) -> None:
    assert api(world, "ann", "POST", "ann_case", "/marac-referral").status_code == 400  # no DASH
    answers = {code: ("yes" if i < 14 else "no") for i, code in enumerate(CODES)}
    api(world, "ann", "POST", "ann_case", "/dash", answers=answers)
    referred = api(world, "ann", "POST", "ann_case", "/marac-referral")
    assert referred.status_code == 201
    [row] = api(world, "ann", "GET", "ann_case", "/sharing").json()
    assert (row["lawful_basis"], row["with_consent"]) == ("marac", True)
    again = api(world, "ann", "POST", "ann_case", "/dash", answers={CODES[0]: "yes"})
    assert again.json()["marac_criteria"] == ["repeat"]


def test_feedback_is_asked_for_only_where_it_is_safe(world: World) -> None:
    def close(case: str) -> None:
        response = api(
            world,
            "ann",
            "POST",
            case,
            "/close",
            reason="survivor_satisfied",
            note="Safe now.",
            request_feedback=True,
        )
        assert response.status_code == 200

    close("anon_case")  # anonymous: a message on the follow-up page, seen only with the code
    [message] = api(world, "ann", "GET", "anon_case", "/messages").json()
    assert "how we did" in message["text"]
    close("ann_case")  # a safe method: a task for the caseworker, never a message from us
    kinds = [
        (e["kind"], e["body"]["text"])
        for e in api(world, "ann", "GET", "ann_case", "/entries").json()
    ]
    assert (
        "action_taken",
        "Ask for feedback by the safe method (phone) at the safe times.",
    ) in kinds
    assert api(world, "ann", "GET", "ann_case", "/messages").json() == []


def test_the_queue_shows_reporter_messages_nobody_has_answered(world: World) -> None:
    from api.casework.follow_up import reporter_says

    def waiting() -> int:
        queue = world.request("ann", "GET", "/api/v1/queue").json()
        [row] = [r for r in queue if r["case_id"] == world.case_id("anon_case")]
        return row["unanswered_messages"]

    assert waiting() == 0
    with session_factory(world.settings)() as db:
        for text in ("Are you there?", "It is safe after 3pm."):
            reporter_says(
                db,
                keyring_from(world.settings),
                hash_key_from(world.settings),
                code=world.follow_up_code,
                text=text,
                address="203.0.113.9",
                now=utcnow(),
            )
    assert waiting() == 2
    api(world, "ann", "POST", "anon_case", "/messages", text="Yes, we will call after 3pm.")
    assert waiting() == 0
    page = world.request("ann", "GET", "/staff/queue").text
    assert "None to answer" in page
