"""Every casework route walked as every role and as staff from another team (SECURITY.md 9).

A case someone may not see answers exactly like a case that does not exist (404), so ids cannot
be probed; an action a role may never take is 403. Nothing an outsider does changes the case.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from api.audit.models import AuditEvent
from api.casework.api_router import router
from api.db import session_factory
from api.settings import Settings
from tests.api.casework_world import World, world_fixture


@pytest.fixture
def world(migrated: Settings) -> Iterator[World]:
    yield from world_fixture(migrated)


def bodies(world: World) -> dict[tuple[str, str], dict | None]:
    """A valid body for every route that changes something, so only access decides."""
    return {
        ("POST", "/take"): None,
        ("POST", "/assign"): {"staff_id": world.users["bob"].id},
        ("POST", "/status"): {"status": "in_contact"},
        ("POST", "/close"): {"reason": "survivor_satisfied", "note": "She is safe now."},
        ("POST", "/contact-details"): {"reason": "arranging_contact"},
        ("POST", "/entries"): {"kind": "note", "text": "Called the office."},
        ("POST", "/dash"): {"answers": {}},
        ("POST", "/sharing"): {
            "recipient": "Police",
            "what": "Address",
            "lawful_basis": "consent",
            "with_consent": True,
        },
        ("POST", "/sharing/{record_id}/sign-off"): None,
        ("POST", "/repairs"): {"work": "New locks", "contractor_reference": "C-1"},
        ("POST", "/repairs/{order_id}/complete"): None,
        ("POST", "/reviews"): {"outcome": "continue", "notes": "Plan is working."},
        ("POST", "/links"): {"reference": world.cases["triage_case"].reference},
        ("POST", "/messages"): {"text": "Hello from the team."},
        ("POST", "/restriction"): {"reason": "colleague_case", "staff_ids": []},
    }


def case_routes() -> list[tuple[str, str]]:
    """(method, path after /api/v1/cases/{case_id}) for every route about one case."""
    found = []
    for route in router.routes:
        path = route.path  # type: ignore[attr-defined]
        if path.startswith("/api/v1/cases/{case_id}"):
            for method in route.methods:  # type: ignore[attr-defined]
                found.append((method, path.removeprefix("/api/v1/cases/{case_id}")))
    return sorted(found)


def call(world: World, who: str | None, method: str, case_id: str, suffix: str):  # type: ignore[no-untyped-def]
    body = bodies(world).get((method, suffix))
    path = "/api/v1/cases/" + case_id + suffix.format(record_id=uuid.uuid4(), order_id=uuid.uuid4())
    return (
        world.request(who, method, path, json=body)
        if body is not None
        else world.request(who, method, path)
    )


def test_the_walk_covers_every_case_route() -> None:
    routes = case_routes()
    assert len(routes) >= 20
    assert ("GET", "") in routes and ("POST", "/contact-details") in routes


@pytest.mark.parametrize("who", ["bob", "cat", "sam", "ada"])
def test_staff_who_may_not_see_a_case_get_404_or_403_on_every_route(world: World, who: str) -> None:
    case_id = world.case_id("ann_case")
    with session_factory(world.settings)() as db:
        before = db.scalar(select(func.count()).select_from(AuditEvent))
    for method, suffix in case_routes():
        hidden = call(world, who, method, case_id, suffix)
        missing = call(world, who, method, str(uuid.uuid4()), suffix)
        assert hidden.status_code in (403, 404), (who, method, suffix, hidden.status_code)
        # the same answer as for a case that does not exist: ids cannot be probed
        assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    with session_factory(world.settings)() as db:
        after = db.scalar(select(func.count()).select_from(AuditEvent))
    assert after == before  # nothing was read or changed


def test_not_signed_in_is_401_and_a_change_without_csrf_is_403(world: World) -> None:
    case_id = world.case_id("ann_case")
    for method, suffix in case_routes():
        assert call(world, None, method, case_id, suffix).status_code == 401
    response = world.request(
        "ann",
        "POST",
        f"/api/v1/cases/{case_id}/entries",
        json={"kind": "note", "text": "x"},
        headers={"X-CSRF-Token": "wrong"},
    )
    assert response.status_code == 403


def test_the_caseworker_works_on_their_case_but_manager_only_actions_are_403(
    world: World,
) -> None:
    case_id = world.case_id("ann_case")
    assert world.request("ann", "GET", f"/api/v1/cases/{case_id}").status_code == 200
    for suffix in ("/assign", "/reviews"):
        assert call(world, "ann", "POST", case_id, suffix).status_code == 403
    assert call(world, "ann", "POST", case_id, "/entries").status_code == 201


def test_the_manager_sees_their_team_and_the_triage_queue_only(world: World) -> None:
    def queue(who: str) -> set[str]:
        rows = world.request(who, "GET", "/api/v1/queue").json()
        return {row["case_id"] for row in rows}

    north = {world.case_id(n) for n in ("ann_case", "anon_case")}
    triage = {world.case_id("triage_case")}
    assert queue("meg") == north | triage
    assert queue("sam") == {world.case_id("cat_case")} | triage
    assert queue("ann") == north | triage
    assert queue("bob") == triage
    assert queue("ada") == set()


def test_a_caseworker_who_takes_a_triage_case_hides_it_from_the_others(world: World) -> None:
    case_id = world.case_id("triage_case")
    assert world.request("bob", "POST", f"/api/v1/cases/{case_id}/take").status_code == 200
    assert world.request("ann", "GET", f"/api/v1/cases/{case_id}").status_code == 404
    assert world.request("bob", "GET", f"/api/v1/cases/{case_id}").status_code == 200
    assert world.request("sam", "GET", f"/api/v1/cases/{case_id}").status_code == 404
    assert world.request("meg", "GET", f"/api/v1/cases/{case_id}").status_code == 200


def test_only_staff_who_may_see_the_case_can_acknowledge_its_alert(world: World) -> None:
    from api.alerts.models import Alert

    with session_factory(world.settings)() as db:
        alert_id = db.scalars(
            select(Alert.id).where(Alert.case_id == world.case_id("ann_case"))
        ).one()
    path = f"/api/v1/alerts/{alert_id}/acknowledge"
    for outsider in ("bob", "cat", "sam", "ada"):
        assert world.request(outsider, "POST", path).status_code in (403, 404), outsider
    assert world.request("ann", "POST", path).status_code == 200
    with session_factory(world.settings)() as db:
        alert = db.get(Alert, alert_id)
        assert alert is not None and alert.acknowledged_by == world.users["ann"].id
