"""Restricted cases (SECURITY.md 21): a case about a member of staff, a colleague's own case, or
one a caseworker declared a conflict of interest on is seen only by the staff named on it.

Anyone else gets exactly the answer a case that does not exist gets, on every API route and
every page; the queue and linked cases do not show it; each restriction, lifting and declaration
is one audit event naming only ids; and some manager can always still see the case.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from api.alerts.models import Alert
from api.audit.models import AuditEvent
from api.audit.service import Auditor
from api.cases.models import Case
from api.cases.service import CaseKeys
from api.casework import restriction
from api.casework.desk import Desk
from api.casework.models import CaseRestriction
from api.casework.workflow import BadRequest
from api.crypto.keys import hash_key_from, keyring_from
from api.db import session_factory, utcnow
from api.settings import Settings
from api.staff.models import StaffUser
from tests.api.casework_world import CANARY, World, world_fixture
from tests.api.test_casework_access import call, case_routes
from tests.api.test_casework_pages import _page_case_routes, get, post


@pytest.fixture
def world(migrated: Settings) -> Iterator[World]:
    yield from world_fixture(migrated)


def api(world: World, who: str, method: str, name: str, suffix: str = "", **kw: object):  # type: ignore[no-untyped-def]
    return world.request(who, method, f"/api/v1/cases/{world.case_id(name)}{suffix}", **kw)


def restrict(world: World, name: str, reason: str, *named: str, by: str = "meg") -> httpx.Response:
    body = {"reason": reason, "staff_ids": [world.users[n].id for n in named]}
    return api(world, by, "POST", name, "/restriction", json=body)


def queue_ids(world: World, who: str) -> set[str]:
    return {row["case_id"] for row in world.request(who, "GET", "/api/v1/queue").json()}


def events(world: World, case_name: str, action: str) -> list[AuditEvent]:
    with session_factory(world.settings)() as db:
        return list(
            db.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == action,
                    AuditEvent.object_id == world.case_id(case_name),
                )
            )
        )


def holder(world: World, case_name: str) -> str | None:
    with session_factory(world.settings)() as db:
        case = db.get(Case, world.case_id(case_name))
        assert case is not None
        return case.assigned_to


def sees(world: World, who: str, case_name: str) -> bool:
    status = api(world, who, "GET", case_name).status_code
    assert status in (200, 404), (who, status)
    return status == 200


def test_a_restricted_triage_case_is_seen_only_by_the_staff_named(world: World) -> None:
    case_id = world.case_id("triage_case")
    assert queue_ids(world, "ann") >= {case_id}  # every caseworker sees a new case before triage
    assert restrict(world, "triage_case", "colleague_case", "bob").status_code == 200
    assert {
        who for who in ("ann", "bob", "meg", "cat", "sam") if sees(world, who, "triage_case")
    } == {
        "bob",
        "meg",
    }
    assert case_id not in queue_ids(world, "ann") | queue_ids(world, "cat") | queue_ids(
        world, "sam"
    )
    bob_rows = world.request("bob", "GET", "/api/v1/queue").json()
    assert [row["restricted"] for row in bob_rows if row["case_id"] == case_id] == [True]
    shown = api(world, "bob", "GET", "triage_case", "/restriction").json()
    assert shown["reason"] == "colleague_case"
    assert {s["email"] for s in shown["named"]} == {"bob@landlord.example", "meg@landlord.example"}


def test_the_event_names_only_ids(world: World) -> None:
    assert restrict(world, "triage_case", "allegation_against_staff").status_code == 200
    (event,) = events(world, "triage_case", "case.restrict")
    assert (event.actor_id, event.object_type) == (world.users["meg"].id, "case")
    assert api(world, "meg", "POST", "triage_case", "/restriction/lift").status_code == 200
    assert len(events(world, "triage_case", "case.unrestrict")) == 1
    assert sees(world, "ann", "triage_case")  # open to the roles again


@pytest.mark.parametrize("outsider", ["ann", "bob", "sam"])
def test_staff_not_named_get_the_answer_for_no_such_case_on_every_api_route(
    world: World, outsider: str
) -> None:
    """Ann held the case: restricting it takes it from her, as from anyone not named."""
    assert restrict(world, "ann_case", "allegation_against_staff").status_code == 200
    assert holder(world, "ann_case") is None
    assert len(events(world, "ann_case", "case.unassign")) == 1
    routes = case_routes()
    assert ("POST", "/restriction") in routes and ("POST", "/conflict") in routes
    for method, suffix in routes:
        hidden = call(world, outsider, method, world.case_id("ann_case"), suffix)
        missing = call(world, outsider, method, str(uuid.uuid4()), suffix)
        assert hidden.status_code in (403, 404), (outsider, method, suffix, hidden.status_code)
        assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    assert world.case_id("ann_case") not in queue_ids(world, outsider)


def test_staff_not_named_get_the_page_for_no_such_case_on_every_page(world: World) -> None:
    assert restrict(world, "triage_case", "colleague_case", "bob").status_code == 200
    routes = _page_case_routes(world)
    assert ("POST", "/restriction") in routes and ("POST", "/conflict") in routes
    for method, suffix in routes:
        filled = suffix.format(record_id="0" * 36, order_id="0" * 36)
        hidden = f"/staff/cases/{world.case_id('triage_case')}{filled}"
        missing = f"/staff/cases/{'0' * 36}{filled}"
        visit = get if method == "GET" else post
        answers = [visit(world, "ann", hidden), visit(world, "ann", missing)]
        assert (answers[0].status_code, answers[0].text) == (
            answers[1].status_code,
            answers[1].text,
        ), (method, suffix)
        assert CANARY not in answers[0].text
    assert world.case_id("triage_case") not in get(world, "ann", "/staff/queue").text
    assert "Restricted" in get(world, "bob", "/staff/queue").text


def test_a_manager_restricts_from_the_case_page_and_the_named_caseworker_sees_it(
    world: World,
) -> None:
    page = f"/staff/cases/{world.case_id('triage_case')}"
    refused = post(world, "meg", page + "/restriction", {})
    assert refused.status_code == 400 and "Choose why the case is restricted" in refused.text
    named = {"reason": "colleague_case", f"named-{world.users['bob'].id}": "yes"}
    done = post(world, "meg", page + "/restriction", named)
    assert done.status_code == 303
    assert (
        "Only the staff named can see this case now."
        in get(world, "meg", done.headers["location"]).text
    )
    assert get(world, "bob", page).status_code == 200
    assert get(world, "ann", page).status_code == 404


def test_only_a_manager_restricts_and_only_staff_of_their_team_without_a_conflict(
    world: World,
) -> None:
    assert restrict(world, "ann_case", "colleague_case", by="ann").status_code == 403
    assert restrict(world, "ann_case", "colleague_case", "cat").status_code == 400  # south
    assert restrict(world, "ann_case", "colleague_case", "ada").status_code == 400  # admin
    assert api(world, "ann", "POST", "anon_case", "/conflict").status_code == 204
    assert restrict(world, "anon_case", "conflict_of_interest", "ann").status_code == 400
    assert sees(world, "ann", "ann_case")  # nothing was restricted


def test_a_declared_conflict_ends_the_declarers_access_and_tells_the_managers(
    world: World,
) -> None:
    case_id = world.case_id("ann_case")
    assert api(world, "ann", "POST", "ann_case", "/conflict").status_code == 204
    assert not sees(world, "ann", "ann_case")
    assert case_id not in queue_ids(world, "ann")
    assert holder(world, "ann_case") is None  # handed back to the managers
    (event,) = events(world, "ann_case", "case.conflict_declared")
    assert event.actor_id == world.users["ann"].id
    meg_rows = {row["case_id"]: row for row in world.request("meg", "GET", "/api/v1/queue").json()}
    assert meg_rows[case_id]["conflict_declared"] is True
    bob_rows = world.request("bob", "GET", "/api/v1/queue").json()
    assert all(row["conflict_declared"] is False for row in bob_rows)
    assert "Conflict declared" in get(world, "meg", "/staff/queue").text
    assign = {"staff_id": world.users["ann"].id}
    assert api(world, "meg", "POST", "ann_case", "/assign", json=assign).status_code == 400
    shown = api(world, "meg", "GET", "ann_case", "/restriction").json()
    assert shown["restricted"] is False
    assert [s["email"] for s in shown["conflict_declared_by"]] == ["ann@landlord.example"]


def test_a_conflict_declared_on_the_page_answers_without_the_case(world: World) -> None:
    page = f"/staff/cases/{world.case_id('ann_case')}"
    answer = post(world, "ann", page + "/conflict")
    assert answer.status_code == 200 and "Conflict of interest declared" in answer.text
    assert CANARY not in answer.text
    assert get(world, "ann", page).status_code == 404


def test_some_manager_always_sees_a_restricted_case(world: World) -> None:
    assert restrict(world, "triage_case", "colleague_case", "bob").status_code == 200
    assert not sees(world, "sam", "triage_case")
    with session_factory(world.settings)() as db:
        meg = db.get(StaffUser, world.users["meg"].id)
        assert meg is not None
        meg.active = False  # the only manager named leaves
        db.commit()
    assert sees(world, "sam", "triage_case")  # so every manager sees it, as if unrestricted
    assert sees(world, "bob", "triage_case") and not sees(world, "ann", "triage_case")


def test_a_manager_who_declares_a_conflict_leaves_the_case_to_the_other_managers(
    world: World,
) -> None:
    assert restrict(world, "triage_case", "colleague_case", "bob").status_code == 200
    assert api(world, "meg", "POST", "triage_case", "/conflict").status_code == 204
    assert not sees(world, "meg", "triage_case")
    assert sees(world, "sam", "triage_case")  # no manager named any more
    assert not sees(world, "ann", "triage_case")  # still closed to caseworkers not named
    assert restrict(world, "triage_case", "colleague_case", by="sam").status_code == 200
    assert sees(world, "sam", "triage_case") and not sees(world, "meg", "triage_case")


def test_a_linked_case_restricted_away_is_not_named_at_all(world: World) -> None:
    link = {"reference": world.cases["triage_case"].reference}
    assert api(world, "ann", "POST", "ann_case", "/links", json=link).status_code == 201
    assert len(api(world, "ann", "GET", "ann_case", "/links").json()) == 1
    assert restrict(world, "triage_case", "colleague_case").status_code == 200
    assert api(world, "ann", "GET", "ann_case", "/links").json() == []
    assert len(api(world, "meg", "GET", "ann_case", "/links").json()) == 1


def test_a_restricted_case_is_given_only_to_someone_named(world: World) -> None:
    assert restrict(world, "ann_case", "allegation_against_staff", "bob").status_code == 200
    to_ann = {"staff_id": world.users["ann"].id}
    to_bob = {"staff_id": world.users["bob"].id}
    assert api(world, "meg", "POST", "ann_case", "/assign", json=to_ann).status_code == 400
    assert api(world, "meg", "POST", "ann_case", "/assign", json=to_bob).status_code == 200
    assert sees(world, "bob", "ann_case") and not sees(world, "ann", "ann_case")


def test_the_alert_of_a_restricted_case_is_no_such_alert_to_staff_not_named(world: World) -> None:
    with session_factory(world.settings)() as db:
        alert_id = db.scalars(
            select(Alert.id).where(Alert.case_id == world.case_id("triage_case"))
        ).one()
    assert restrict(world, "triage_case", "colleague_case", "bob").status_code == 200
    hidden = world.request("ann", "POST", f"/api/v1/alerts/{alert_id}/acknowledge")
    missing = world.request("ann", "POST", f"/api/v1/alerts/{uuid.uuid4()}/acknowledge")
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    assert hidden.status_code == 404
    assert world.request("bob", "POST", f"/api/v1/alerts/{alert_id}/acknowledge").status_code == 200


def test_a_manager_who_restricts_a_moment_after_another_gets_a_clear_400_not_a_500(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two managers read the case unrestricted; the first commits; the second's insert clashes."""
    assert restrict(world, "triage_case", "colleague_case", "bob").status_code == 200
    keys = CaseKeys(keyring_from(world.settings), hash_key_from(world.settings))
    with session_factory(world.settings)() as db:
        manager = db.get(StaffUser, world.users["meg"].id)
        assert manager is not None
        desk = Desk(db, manager, utcnow(), keys.keyring, Auditor(hash_key=keys.hash_key))
        read = db.get
        # What the second manager read before the first one's restriction was committed.
        monkeypatch.setattr(
            db, "get", lambda model, key: None if model is CaseRestriction else read(model, key)
        )
        with pytest.raises(BadRequest) as refused:
            restriction.restrict(desk, world.case_id("triage_case"), "colleague_case", [])
    assert refused.value.status_code == 400
    assert sees(world, "bob", "triage_case")  # the first restriction stands
