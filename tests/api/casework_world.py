"""A small resolution service for casework tests: two teams, every role, cases in each state.

North: caseworkers Ann and Bob, manager Meg. South: caseworker Cat, manager Sam. An admin, Ada.
Cases: `ann_case` (Ann's, north), `triage_case` (unassigned, new), `cat_case` (Cat's, south),
`anon_case` (Ann's, anonymous, with a follow-up code). Each member of staff gets a signed-in
client with their CSRF token, through the real application.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.cases.models import Case
from api.cases.schemas import CaseIn
from api.cases.service import CaseKeys, create_case
from api.crypto.keys import hash_key_from, keyring_from
from api.db import session_factory, utcnow
from api.deadlines import WorkingCalendar
from api.org.profile import profile_for
from api.settings import Settings
from api.staff.models import StaffUser
from api.staff.service import create_user, csrf_token, start_session

PASSWORD = "correct horse battery staple"
CANARY = "teal-otter-canary-4471"
STAFF = {
    "ann": ("caseworker", "north"),
    "bob": ("caseworker", "north"),
    "meg": ("manager", "north"),
    "cat": ("caseworker", "south"),
    "sam": ("manager", "south"),
    "ada": ("admin", "north"),
}


@dataclass
class World:
    settings: Settings
    app_client: TestClient
    users: dict[str, StaffUser] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    follow_up_code: str = ""

    def request(self, who: str | None, method: str, path: str, **kwargs: object) -> httpx.Response:
        """As `who` (None: not signed in), with their CSRF token on every change."""
        client = self.app_client
        client.cookies.clear()
        headers = dict(kwargs.pop("headers", {}) or {})  # type: ignore[arg-type]
        if who is not None:
            client.cookies.set("__Host-qd_session", self.tokens[who])
            keys_hash = hash_key_from(self.settings)
            headers.setdefault("X-CSRF-Token", csrf_token(keys_hash, self.tokens[who]))
        return client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]

    def case_id(self, name: str) -> str:
        return self.cases[name].id


def _report(**fields: object) -> CaseIn:
    values: dict[str, object] = {
        "idempotency_key": uuid.uuid4().hex,
        "channel": "web",
        "reporter_type": "self",
        "what_happening": f"{CANARY} what is happening",
        "contact_method": "phone",
        "contact_detail": "07700 900111",
        "consent_to_share": "yes",
    }
    return CaseIn(**(values | fields))  # type: ignore[arg-type]


def build_world(settings: Settings, client: TestClient) -> World:
    world = World(settings=settings, app_client=client)
    keys = CaseKeys(keyring_from(settings), hash_key_from(settings))
    now = utcnow()
    with session_factory(settings)() as db:
        for name, (role, team) in STAFF.items():
            user, _ = create_user(
                db,
                keys,
                email=f"{name}@landlord.example",
                role=role,
                password=PASSWORD,
                now=now,
                team=team,
            )
            world.users[name] = user
            world.tokens[name] = start_session(db, user, now)
        calendar = WorkingCalendar.from_profile(profile_for(settings))
        for name, holder, fields in (
            ("ann_case", "ann", {}),
            ("triage_case", None, {}),
            ("cat_case", "cat", {}),
            ("anon_case", "ann", {"contact_method": "none", "contact_detail": None}),
        ):
            created = create_case(
                db, _report(**fields), keys=keys, calendar=calendar, alert_recipients=[], now=now
            )
            case = db.get(Case, created.case.id)
            assert case is not None
            if holder:
                case.assigned_to = world.users[holder].id
                case.team = STAFF[holder][1]
            db.commit()
            world.cases[name] = case
            if created.follow_up_code:
                world.follow_up_code = created.follow_up_code
    return world


def world_fixture(settings: Settings) -> Iterator[World]:
    from api.app import create_app

    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield build_world(settings, client)


def session_of(settings: Settings) -> Session:
    return session_factory(settings)()
