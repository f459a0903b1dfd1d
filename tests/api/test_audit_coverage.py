"""Every case and staff route writes an audit event when it succeeds (SECURITY.md 10).

The app's routes are enumerated (included routers opened), and each is either probed here (a
request made to succeed, which must add an event to the chain) or allowed not to write one, with
the reason. A route added later with neither fails `test_every_route_is_probed_or_allowed`, and a
probed route that succeeds silently fails `test_every_probed_route_writes_an_audit_event`.

Each probe works on cases of its own, filed through `POST /internal/cases` as the action server
files them and taken through the API, so the probes do not depend on one another's order.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pyotp
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy import func, select
from starlette.routing import BaseRoute, Mount

from api.alerts.models import Alert
from api.audit.models import AuditEvent
from api.cases.models import Case
from api.cases.service import CaseKeys
from api.casework.follow_up import reporter_says
from api.crypto.keys import hash_key_from, keyring_from
from api.dash.questions import CODES
from api.db import utcnow
from api.settings import Settings
from api.staff.dependencies import LOGIN_PATH, SESSION_COOKIE
from api.staff.models import StaffUser
from api.staff.service import create_user, csrf_token, start_session
from tests.api.casework_world import CANARY, PASSWORD, World, session_of, world_fixture
from tests.api.conftest import SERVICE_TOKEN, minimal_case

#: Routes that must not, or need not, write an audit event, each with the reason.
NOT_AUDITED: dict[str, str] = {
    "GET /openapi.json": "the API's own description: no case or staff data",
    "GET /healthz": "readiness of Rasa and the action server: no case or staff data",
    "GET /livez": "the process runs: no case or staff data",
    "GET /readyz": "the gateway can answer a person: no case or staff data",
    "GET /internal/metrics": "counts and latencies on the private listener: no case or staff data",
    "GET /": "the web chat page: a conversation is deliberately never recorded",
    "GET /chat/{name}": "the web chat's static scripts and styles",
    "GET /privacy": "the static privacy notice",
    "POST /webhooks/rest/webhook": "a web chat message: never recorded; a report it leads to "
    "is filed through POST /internal/cases, which is audited",
    "POST /chat/pending": "the web chat's pending replies: never recorded",
    "POST /chat/exit": "quick exit: wipes the conversation; recording it would leave a trace",
    "POST /webhooks/twilio/webhook": "SMS and WhatsApp conversations are never recorded; a "
    "follow-up over them goes through reporter_view and reporter_says, audited (see "
    "test_a_reporters_message_by_text_writes_one_event)",
    "POST /webhooks/telegram/webhook": "Telegram conversations are never recorded; a follow-up "
    "over them goes through reporter_view and reporter_says, audited",
    "GET /internal/org": "the organisation's public facts for the action server",
    "GET /internal/helplines": "public helpline numbers for the action server",
    "GET /staff/login": "the sign-in page: nobody is signed in yet",
    "GET /staff/staff.css": "a static stylesheet",
    "GET /staff/marac-pack.css": "a static stylesheet",
}


def app_routes(routes: Sequence[BaseRoute], prefix: str = "") -> set[str]:
    """ "METHOD /path" for every route, included routers and mounted apps opened (HEAD mirrors
    GET); a mounted app without routes of its own (static files) is "MOUNT /path"."""
    found = set()
    for route in iter_route_contexts(routes):
        path = prefix + (route.path or "")
        mounted = route.original_route
        if isinstance(mounted, Mount) and mounted.routes:
            found |= app_routes(mounted.routes, path)
            continue
        methods = route.methods or {"MOUNT"}  # answers every method
        found |= {f"{method} {path}" for method in methods if method != "HEAD"}
    return found


# ---- the bench the probes work at ------------------------------------------------------------


@dataclass(frozen=True)
class Filed:
    id: str
    reference: str
    code: str | None


@dataclass(frozen=True)
class Bench:
    """The real app and its staff (tests/api/casework_world.py), and ways to reach it."""

    world: World

    def file(self, **fields: object) -> httpx.Response:
        """File a report as the action server does: consent given, a phone number to call."""
        body = minimal_case(
            contact_method="phone",
            contact_detail=PHONE,
            consent_to_share="yes",
            what_happening=CANARY,
        )
        auth = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
        return self.world.request(None, "POST", "/internal/cases", json=body | fields, headers=auth)

    def case(self, holder: str | None = "ann", *, anonymous: bool = False) -> Filed:
        """A new case of its own, taken by `holder` (None: unassigned, in triage)."""
        answer = self.file(contact_method="none", contact_detail=None) if anonymous else self.file()
        assert answer.status_code == 201, answer.text
        reference = answer.json()["reference"]
        with session_of(self.world.settings) as db:
            case_id = db.scalars(select(Case.id).where(Case.reference == reference)).one()
        if holder is not None:
            assert self.api(holder, "POST", f"/api/v1/cases/{case_id}/take").status_code == 200
        return Filed(case_id, reference, answer.json()["follow_up_code"])

    def api(self, who: str, method: str, path: str, body: object = None) -> httpx.Response:
        return self.world.request(who, method, path, json=body)

    def page(self, who: str, path: str) -> httpx.Response:
        return self.world.request(who, "GET", path, follow_redirects=False)

    def form(self, who: str, path: str, fields: dict[str, str]) -> httpx.Response:
        """A form posted as a browser does, with the session's CSRF token as a hidden field."""
        token = csrf_token(hash_key_from(self.world.settings), self.world.tokens[who])
        data = fields | {"csrf_token": token}
        return self.world.request(who, "POST", path, data=data, follow_redirects=False)

    def reporter(self, path: str, body: dict[str, str]) -> httpx.Response:
        return self.world.request(None, "POST", path, json=body)

    def created(self, who: str, path: str, body: object) -> str:
        done = self.api(who, "POST", path, body)
        assert done.status_code == 201, done.text
        return str(done.json()["id"])


# What a probe's setup adds to the path and the body: "{name}" in either is filled from it.
Fills = dict[str, str]
Ready = Callable[[Bench, Filed], Fills]

PHONE = "07700 900123"
MESSAGE = "Is anyone reading this?"


def _nothing(bench: Bench, case: Filed) -> Fills:
    return {}


def _alert(bench: Bench, case: Filed) -> Fills:
    with session_of(bench.world.settings) as db:
        return {"alert_id": db.scalars(select(Alert.id).where(Alert.case_id == case.id)).one()}


def _dash(bench: Bench, case: Filed) -> Fills:
    answers = {code: "yes" for code in CODES[:3]}
    bench.created("ann", f"/api/v1/cases/{case.id}/dash", {"answers": answers})
    return {}


def _shared_without_consent(bench: Bench, case: Filed) -> Fills:
    body = {
        "recipient": "Police",
        "what": "The address",
        "lawful_basis": "safeguarding",
        "with_consent": False,
        "reason": "A child at risk",
    }
    return {"record_id": bench.created("ann", f"/api/v1/cases/{case.id}/sharing", body)}


def _repair(bench: Bench, case: Filed) -> Fills:
    body = {"work": "Door chain", "contractor_reference": "JOB-1"}
    return {"order_id": bench.created("ann", f"/api/v1/cases/{case.id}/repairs", body)}


def _other_case(bench: Bench, case: Filed) -> Fills:
    return {"other": bench.case().reference}


def _restricted(bench: Bench, case: Filed) -> Fills:
    body = {"reason": "colleague_case", "staff_ids": [bench.world.users["ann"].id]}
    assert bench.api("meg", "POST", f"/api/v1/cases/{case.id}/restriction", body).status_code == 200
    return {}


@dataclass(frozen=True)
class On:
    """A staff route's probe: on a case of its own held by `holder`, `who` sends `body`
    (form fields to a /staff page, JSON to /api/v1) after `ready` has set up what it needs."""

    who: str = "ann"
    body: dict[str, object] | None = None
    holder: str | None = "ann"
    anonymous: bool = False
    ready: Ready = _nothing

    def send(self, bench: Bench, route: str) -> Callable[[], httpx.Response]:
        method, path = route.split(" ", 1)
        case = bench.case(self.holder, anonymous=self.anonymous)
        fills = {"case_id": case.id, "bob": bench.world.users["bob"].id}
        fills |= self.ready(bench, case)
        url = path.format(**fills)
        body = {
            k: v.format(**fills) if isinstance(v, str) else v for k, v in (self.body or {}).items()
        }
        if not path.startswith("/staff"):
            return lambda: bench.api(self.who, method, url, body or None)
        if method == "GET":
            return lambda: bench.page(self.who, url)
        return lambda: bench.form(self.who, url, {k: str(v) for k, v in body.items()})


CONTACT = {"method": "phone", "outcome": "spoke", "text": "Arranged a visit"}
NOTE = {"kind": "note", "text": "Called back"}
REVEAL = {"reason": "arranging_contact"}
REPAIR = {"work": "Door chain", "contractor_reference": "JOB-2"}
REVIEW = {"outcome": "continue", "notes": "The plan holds"}
CLOSE = {"reason": "survivor_satisfied", "note": "Support in place"}
SHARING = {"recipient": "GP", "what": "Risk", "lawful_basis": "consent"}
DASH_FORM = {f"answer_{code}": "yes" for code in CODES[:3]}

STAFF_ROUTES: dict[str, On] = {
    # the queue and its alerts
    "GET /staff/queue": On(),
    "GET /api/v1/queue": On(),
    "POST /staff/queue/alerts/{alert_id}/acknowledge": On(holder=None, ready=_alert),
    "POST /api/v1/alerts/{alert_id}/acknowledge": On(holder=None, ready=_alert),
    # the case and its workflow
    "GET /staff/cases/{case_id}": On(),
    "GET /api/v1/cases/{case_id}": On(),
    "POST /staff/cases/{case_id}/take": On(holder=None),
    "POST /api/v1/cases/{case_id}/take": On(holder=None),
    "POST /staff/cases/{case_id}/assign": On("meg", {"staff_id": "{bob}"}, holder=None),
    "POST /api/v1/cases/{case_id}/assign": On("meg", {"staff_id": "{bob}"}, holder=None),
    "POST /staff/cases/{case_id}/status": On(body={"status": "in_contact"}),
    "POST /api/v1/cases/{case_id}/status": On(body={"status": "in_contact"}),
    "POST /staff/cases/{case_id}/contact-details": On(body=REVEAL),
    "POST /api/v1/cases/{case_id}/contact-details": On(body=REVEAL),
    "POST /staff/cases/{case_id}/close": On(body=CLOSE),
    "POST /api/v1/cases/{case_id}/close": On(body=CLOSE),
    # entries: contact attempts and notes
    "POST /staff/cases/{case_id}/contact": On(body=CONTACT),
    "POST /staff/cases/{case_id}/entries": On(body=NOTE),
    "GET /api/v1/cases/{case_id}/entries": On(),
    "POST /api/v1/cases/{case_id}/entries": On(body=NOTE),
    # DASH and MARAC
    "GET /staff/cases/{case_id}/dash": On(),
    "POST /staff/cases/{case_id}/dash": On(body=DASH_FORM),
    "GET /staff/cases/{case_id}/dash/result": On(ready=_dash),
    "GET /api/v1/cases/{case_id}/dash": On(ready=_dash),
    "POST /api/v1/cases/{case_id}/dash": On(body={"answers": {CODES[0]: "yes"}}),
    "GET /staff/cases/{case_id}/marac-pack": On(ready=_dash),
    "GET /staff/cases/{case_id}/marac-pack.pdf": On(ready=_dash),
    "POST /api/v1/cases/{case_id}/marac-referral": On(ready=_dash),
    # information sharing
    "POST /staff/cases/{case_id}/sharing": On(body=SHARING | {"with_consent": "yes"}),
    "GET /api/v1/cases/{case_id}/sharing": On(),
    "POST /api/v1/cases/{case_id}/sharing": On(body=SHARING | {"with_consent": True}),
    "POST /staff/cases/{case_id}/sharing/{record_id}/sign-off": On(
        "meg", ready=_shared_without_consent
    ),
    "POST /api/v1/cases/{case_id}/sharing/{record_id}/sign-off": On(
        "meg", ready=_shared_without_consent
    ),
    # security repairs
    "POST /staff/cases/{case_id}/repairs": On(body=REPAIR),
    "GET /api/v1/cases/{case_id}/repairs": On(),
    "POST /api/v1/cases/{case_id}/repairs": On(body=REPAIR),
    "POST /staff/cases/{case_id}/repairs/{order_id}/complete": On(ready=_repair),
    "POST /api/v1/cases/{case_id}/repairs/{order_id}/complete": On(ready=_repair),
    # manager reviews
    "POST /staff/cases/{case_id}/reviews": On("meg", REVIEW),
    "GET /api/v1/cases/{case_id}/reviews": On(),
    "POST /api/v1/cases/{case_id}/reviews": On("meg", REVIEW),
    # linked cases
    "POST /staff/cases/{case_id}/links": On(body={"reference": "{other}"}, ready=_other_case),
    "GET /api/v1/cases/{case_id}/links": On(),
    "POST /api/v1/cases/{case_id}/links": On(body={"reference": "{other}"}, ready=_other_case),
    # messages with an anonymous reporter, staff side
    "POST /staff/cases/{case_id}/messages": On(body={"text": "We read it"}, anonymous=True),
    "GET /api/v1/cases/{case_id}/messages": On(anonymous=True),
    "POST /api/v1/cases/{case_id}/messages": On(body={"text": "We read it"}, anonymous=True),
    # restricted cases and declared conflicts
    "GET /api/v1/cases/{case_id}/restriction": On(),
    "POST /staff/cases/{case_id}/restriction": On("meg", {"reason": "colleague_case"}),
    "POST /api/v1/cases/{case_id}/restriction": On("meg", {"reason": "colleague_case"}),
    "POST /staff/cases/{case_id}/restriction/lift": On("meg", ready=_restricted),
    "POST /api/v1/cases/{case_id}/restriction/lift": On("meg", ready=_restricted),
    "POST /staff/cases/{case_id}/conflict": On(),
    "POST /api/v1/cases/{case_id}/conflict": On(),
}


def _file(bench: Bench) -> Callable[[], httpx.Response]:
    return bench.file


def _follow_up(bench: Bench) -> Callable[[], httpx.Response]:
    code = bench.case(None, anonymous=True).code
    assert code
    return lambda: bench.reporter("/chat/follow-up", {"code": code})


def _follow_up_message(bench: Bench) -> Callable[[], httpx.Response]:
    code = bench.case(None, anonymous=True).code
    assert code
    return lambda: bench.reporter("/chat/follow-up/messages", {"code": code, "message": MESSAGE})


def _sign_in(bench: Bench) -> Callable[[], httpx.Response]:
    """A new account signs in through the page, as a browser does: the form, then the post."""
    settings, client = bench.world.settings, bench.world.app_client
    keys = CaseKeys(keyring_from(settings), hash_key_from(settings))
    email = f"new-{uuid.uuid4().hex[:8]}@landlord.example"
    with session_of(settings) as db:
        _, secret = create_user(
            db, keys, email=email, role="caseworker", password=PASSWORD, now=utcnow()
        )
    client.cookies.clear()
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get(LOGIN_PATH).text)
    assert token
    fields = {"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    code = pyotp.TOTP(secret)
    return lambda: client.post(
        LOGIN_PATH, data=fields | {"code": code.at(utcnow())}, follow_redirects=False
    )


def _sign_out(bench: Bench) -> Callable[[], httpx.Response]:
    """A session of its own is ended (the world's sessions serve the other probes)."""
    world = bench.world
    with session_of(world.settings) as db:
        user = db.get(StaffUser, world.users["ann"].id)
        assert user
        token = start_session(db, user, utcnow())
    spare = Bench(replace(world, tokens=world.tokens | {"ann": token}))
    return lambda: spare.form("ann", "/staff/logout", {})


#: Routes without a case of their own to set up: the system, a reporter, signing in and out.
STANDALONE_ROUTES: dict[str, Callable[[Bench], Callable[[], httpx.Response]]] = {
    "POST /internal/cases": _file,
    "POST /chat/follow-up": _follow_up,
    "POST /chat/follow-up/messages": _follow_up_message,
    "POST /staff/login": _sign_in,
    "POST /staff/logout": _sign_out,
}


def prepare(bench: Bench, route: str) -> Callable[[], httpx.Response]:
    """Set up what `route` needs; the answer sends the one request that must be audited."""
    if route in STANDALONE_ROUTES:
        return STANDALONE_ROUTES[route](bench)
    return STAFF_ROUTES[route].send(bench, route)


# ---- reading the chain -----------------------------------------------------------------------


def head(world: World) -> int:
    with session_of(world.settings) as db:
        return db.scalar(select(func.coalesce(func.max(AuditEvent.seq), 0))) or 0


def events_after(world: World, seq: int) -> list[AuditEvent]:
    with session_of(world.settings) as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.seq > seq)))


def succeeded(response: httpx.Response) -> bool:
    """2xx, or a 303 (Post/Redirect/Get) that is not a staff page's answer to no session: that
    one goes to the sign-in page, where signing out also goes, but without clearing a cookie."""
    if response.status_code == 303:
        to_sign_in = response.headers["location"].startswith(LOGIN_PATH)
        return not to_sign_in or SESSION_COOKIE in response.headers.get("set-cookie", "")
    return 200 <= response.status_code < 300


def ids_only(event: AuditEvent, world: World) -> bool:
    """Who (a staff id or the system) and which object (an id): nothing a person wrote."""
    try:
        uuid.UUID(event.object_id)
    except ValueError:
        return False
    with session_of(world.settings) as db:
        return event.actor_id is None or db.get(StaffUser, event.actor_id) is not None


@pytest.fixture
def world(migrated: Settings) -> Iterator[World]:
    yield from world_fixture(migrated)


@pytest.fixture
def bench(world: World) -> Bench:
    return Bench(world)


# ---- the tests -------------------------------------------------------------------------------


def test_every_route_is_probed_or_allowed(world: World) -> None:
    """A new route fails here until it is given a probe below or a reason not to be audited."""
    probed = set(STAFF_ROUTES) | set(STANDALONE_ROUTES)
    assert not probed & set(NOT_AUDITED)
    assert all(reason.strip() for reason in NOT_AUDITED.values())
    routes = app_routes(world.app_client.app.routes)  # type: ignore[attr-defined]
    assert sorted(routes - probed - set(NOT_AUDITED)) == [], "routes neither probed nor allowed"
    assert sorted((probed | set(NOT_AUDITED)) - routes) == [], "probes of routes that are gone"


def test_included_routers_and_mounted_apps_are_opened(tmp_path: Path) -> None:
    """A route added under a mounted app is enumerated too, so it cannot escape the probes."""
    inner, outer = APIRouter(prefix="/in"), APIRouter(prefix="/out")
    inner.add_api_route("/x", lambda: None, methods=["POST"])
    outer.include_router(inner)
    app, sub = FastAPI(openapi_url=None), FastAPI(openapi_url=None)  # no docs routes
    sub.include_router(outer)
    app.include_router(outer)
    app.mount("/sub", sub)
    app.mount("/static", StaticFiles(directory=tmp_path))
    assert app_routes(app.routes) == {
        "POST /out/in/x",
        "POST /sub/out/in/x",
        "MOUNT /static",
    }


def test_every_case_and_staff_route_is_probed() -> None:
    """The allow-list holds no case or staff route but the sign-in page and stylesheets."""
    audited_prefixes = ("/staff", "/api/v1", "/internal/cases", "/chat/follow-up")
    allowed = {
        route for route in NOT_AUDITED if route.split(" ", 1)[1].startswith(audited_prefixes)
    }
    assert allowed == {
        "GET /staff/login",
        "GET /staff/staff.css",
        "GET /staff/marac-pack.css",
    }


def test_every_probed_route_writes_an_audit_event(bench: Bench, world: World) -> None:
    """Each probe succeeds, and adds at least one event naming ids only."""
    refused: dict[str, str] = {}
    silent: list[str] = []
    for route in sorted(set(STAFF_ROUTES) | set(STANDALONE_ROUTES)):
        send = prepare(bench, route)
        before = head(world)
        response = send()
        if not succeeded(response):
            refused[route] = f"{response.status_code} {response.text[:200]}"
            continue
        events = events_after(world, before)
        if not events:
            silent.append(route)
        assert all(ids_only(event, world) for event in events), route
    assert refused == {}, "probes that did not succeed"
    assert silent == [], "routes that succeeded without writing an audit event"


@pytest.mark.parametrize(
    ("route", "action", "actor"),
    [
        ("POST /internal/cases", "case.create", None),
        ("POST /chat/follow-up", "follow_up.view", None),
        ("POST /chat/follow-up/messages", "follow_up.message", None),
        ("POST /staff/queue/alerts/{alert_id}/acknowledge", "alert.acknowledge", "ann"),
        ("GET /api/v1/cases/{case_id}/links", "case.links.view", "ann"),
        ("GET /staff/queue", "queue.view", "ann"),
        ("GET /staff/cases/{case_id}/dash", "dash.form.view", "ann"),
        ("POST /staff/logout", "staff.sign_out", "ann"),
    ],
)
def test_the_gaps_found_in_review_now_write_exactly_one_event(
    bench: Bench, world: World, route: str, action: str, actor: str | None
) -> None:
    send = prepare(bench, route)
    before = head(world)
    assert succeeded(send())
    events = events_after(world, before)
    actor_id = world.users[actor].id if actor else None
    assert [(e.action, e.actor_id) for e in events] == [(action, actor_id)]
    assert ids_only(events[0], world)


def test_acknowledging_from_the_queue_page_names_the_alert_and_acknowledges_it(
    bench: Bench, world: World
) -> None:
    case = bench.case(None)
    alert_id = _alert(bench, case)["alert_id"]
    before = head(world)
    assert succeeded(bench.form("ann", f"/staff/queue/alerts/{alert_id}/acknowledge", {}))
    [event] = events_after(world, before)
    assert (event.object_type, event.object_id) == ("alert", alert_id)
    queue = bench.api("meg", "GET", "/api/v1/queue").json()
    assert next(row["acknowledged"] for row in queue if row["case_id"] == case.id) is True


def test_a_repeated_filing_writes_one_event_and_a_reissued_code_says_so(
    bench: Bench, world: World
) -> None:
    """The action server retries with the same key: the same case, one event per answer."""
    for fields, action in (
        ({}, "case.create_repeat"),
        ({"contact_method": "none", "contact_detail": None}, "case.follow_up_code_reissue"),
    ):
        key = {"idempotency_key": f"retry-{uuid.uuid4().hex}"}
        first = bench.file(**key, **fields)
        before = head(world)
        again = bench.file(**key, **fields)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["reference"] == first.json()["reference"]
        [event] = events_after(world, before)
        assert (event.action, event.actor_id, event.object_type) == (action, None, "case")
        assert ids_only(event, world)


def test_a_reporters_message_by_text_writes_one_event(bench: Bench, world: World) -> None:
    """Messaging (SMS, WhatsApp, Telegram) hands a REPLY to the same service call as the web."""
    case = bench.case(None, anonymous=True)
    assert case.code
    settings = world.settings
    before = head(world)
    with session_of(settings) as db:
        reporter_says(
            db,
            keyring_from(settings),
            hash_key_from(settings),
            code=case.code,
            text=MESSAGE,
            address="sms-0123456789abcdef",
            now=utcnow(),
        )
    [event] = events_after(world, before)
    assert (event.action, event.actor_id, event.object_id) == ("follow_up.message", None, case.id)
