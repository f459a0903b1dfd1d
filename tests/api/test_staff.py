"""Staff: accounts from the CLI, login with a single-use TOTP code, sessions, CSRF, queue.

The sign-in form's own CSRF token and the throttles are in test_sign_in_form.py and
test_throttles.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api import throttle
from api.alerts.models import Alert
from api.db import session_factory
from api.settings import Settings
from api.staff.cli import main as cli_main
from api.staff.models import StaffSession, StaffUser

CaseBody = Callable[..., dict[str, object]]
PASSWORD = "correct horse battery staple"
EMAIL = "Case.Worker@example.org"
COOKIE = "__Host-qd_session"
#: Any fixed instant: the tests never read the clock.
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI reads the environment, as it does in production."""
    monkeypatch.setenv("QD_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("QD_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("QD_MASTER_KEYS", settings.master_keys.get_secret_value())
    monkeypatch.setenv("QD_HASH_KEY", settings.hash_key.get_secret_value())
    monkeypatch.setenv("QD_NEW_PASSWORD", PASSWORD)
    return settings


@pytest.fixture
def totp(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> pyotp.TOTP:
    """A caseworker account made with the CLI; returns its authenticator."""
    assert cli_main(["create-user", "--email", EMAIL, "--role", "caseworker"]) == 0
    uri = capsys.readouterr().out.strip()
    return pyotp.parse_uri(uri)  # type: ignore[return-value]


class Clock:
    """Moves the staff service's clock so each login can use a fresh TOTP time-step."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = START
        monkeypatch.setattr("api.staff.router.utcnow", lambda: self.now)
        monkeypatch.setattr("api.staff.dependencies.utcnow", lambda: self.now)

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def form_token(client: TestClient) -> str:
    """The sign-in page's CSRF token (its pre-session cookie goes into the client's jar)."""
    return csrf_of(client.get("/staff/login").text)


def log_in(client: TestClient, totp: pyotp.TOTP, clock: Clock, **override: str | None):  # type: ignore[no-untyped-def]
    """Sign in through the page, as a browser does: the form first, then the post."""
    form = {"email": EMAIL.lower(), "password": PASSWORD, "code": totp.at(clock.now)}
    form["csrf_token"] = form_token(client)
    form.update(override)
    return client.post(
        "/staff/login",
        data={k: v for k, v in form.items() if v is not None},
        follow_redirects=False,
    )


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert match
    return match.group(1)


@pytest.mark.sqlite_only  # it reads the SQLite file's raw bytes
def test_cli_creates_an_account_and_prints_only_the_otpauth_uri(
    cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["create-user", "--email", EMAIL, "--role", "manager"]) == 0
    out, err = capsys.readouterr()
    assert out.count("\n") == 1 and out.startswith("otpauth://totp/")
    assert PASSWORD not in out + err
    secret = parse_qs(urlparse(out.strip()).query)["secret"][0]
    with session_factory(cli_env)() as session:
        user = session.scalars(select(StaffUser)).one()
        assert (user.email, user.role, user.active) == (EMAIL.lower(), "manager", True)
        assert user.password_hash.startswith("$argon2id$")
        assert secret.encode() not in user.sealed_totp
    raw = (cli_env.var_dir / "quietdoor.db").read_bytes()
    raw += (cli_env.var_dir / "quietdoor.db-wal").read_bytes()
    assert secret.encode() not in raw and PASSWORD.encode() not in raw


@pytest.mark.parametrize(
    "password",
    [
        "short pass",
        "password1234",
        "aaaaaaaaaaaaaaaa",
        "",
        "Password123!",
        "Summer2024!!",
        "Liverpool123",
        "Stonewater2025",
        "abcabcabcabc",
        "Case.Worker@example.org",  # the account's own e-mail address
        "qwertyuiop12",
    ],
)
def test_cli_refuses_weak_passwords(
    cli_env: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    password: str,
) -> None:
    monkeypatch.setenv("QD_NEW_PASSWORD", password)
    assert cli_main(["create-user", "--email", EMAIL, "--role", "admin"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "password" in err


def test_cli_refuses_a_duplicate_and_a_bad_role(
    totp: pyotp.TOTP, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["create-user", "--email", EMAIL.upper(), "--role", "admin"]) == 2
    assert "already exists" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["create-user", "--email", "x@example.org", "--role", "superuser"])


def test_the_queue_needs_login(client: TestClient) -> None:
    response = client.get("/staff/queue", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login"


def test_login_page_is_accessible_and_not_cached(client: TestClient) -> None:
    response = client.get("/staff/login")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    for field in ("email", "password", "code"):
        assert f'<label for="{field}">' in response.text and f'id="{field}"' in response.text
    assert client.get("/staff/staff.css").headers["content-type"].startswith("text/css")


def test_login_with_totp_then_queue_then_logout(
    client: TestClient, totp: pyotp.TOTP, clock: Clock
) -> None:
    response = log_in(client, totp, clock)
    assert response.status_code == 303 and response.headers["location"] == "/staff/queue"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for attribute in ("Secure", "HttpOnly", "SameSite=strict", "Path=/"):
        assert attribute.lower() in cookie.lower()
    assert "domain=" not in cookie.lower()

    queue = client.get("/staff/queue")
    assert queue.status_code == 200 and queue.headers["cache-control"] == "no-store"
    token = client.cookies.get(COOKIE)

    assert client.post("/staff/logout", data={}, follow_redirects=False).status_code == 403
    response = client.post(
        "/staff/logout", data={"csrf_token": csrf_of(queue.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    # The old cookie, replayed, no longer opens anything: the session is gone server-side.
    client.cookies.set(COOKIE, token, domain="testserver")
    assert client.get("/staff/queue", follow_redirects=False).status_code == 303


def test_session_id_is_stored_hashed(
    client: TestClient, totp: pyotp.TOTP, clock: Clock, settings: Settings
) -> None:
    log_in(client, totp, clock)
    token = client.cookies.get(COOKIE)
    assert token and len(token) >= 43  # 32 random bytes
    with session_factory(settings)() as session:
        stored = session.scalars(select(StaffSession.id_hash)).one()
    assert stored != token and token not in stored


def test_totp_code_cannot_be_replayed(client: TestClient, totp: pyotp.TOTP, clock: Clock) -> None:
    code = totp.at(clock.now)
    assert log_in(client, totp, clock, code=code).status_code == 303
    client.cookies.clear()
    clock.advance(seconds=1)
    replay = log_in(client, totp, clock, code=code)
    assert replay.status_code == 401 and COOKIE not in replay.headers.get("set-cookie", "")
    clock.advance(seconds=30)
    assert log_in(client, totp, clock).status_code == 303  # the next code works


@pytest.mark.parametrize(
    "override",
    [
        {"password": "wrong password here"},
        {"code": "000000"},
        {"email": "nobody@example.org"},
        {"code": ""},
        {"email": None},  # missing fields
        {"password": None},
        {"code": None},
        {"email": "x" * 400 + "@example.org"},  # oversize
        {"password": PASSWORD + "x" * 2000},
        {"code": "1" * 40},
        {"code": "12345\u00e9"},  # non-ASCII
        {"code": "\u0661\u0662\u0663\u0664\u0665\u0666"},
        {"code": "1\x002"},
    ],
)
def test_every_failure_and_every_malformed_field_gets_one_generic_401(
    client: TestClient, totp: pyotp.TOTP, clock: Clock, override: dict[str, str | None]
) -> None:
    """No oracle: the right password with anything else wrong answers like a wrong password."""
    wrong_password = log_in(client, totp, clock, password="wrong password here")
    response = log_in(client, totp, clock, **override)
    assert response.status_code == wrong_password.status_code == 401
    assert response.text == wrong_password.text
    assert "Those details did not work" in response.text
    assert "password" not in response.text.split("<form")[0].lower()


@pytest.mark.parametrize("code", ["12345\u00e9", "1" * 40, ""])
def test_a_malformed_field_is_a_counted_failure(
    client: TestClient, totp: pyotp.TOTP, clock: Clock, code: str
) -> None:
    """The account's free failures spent on malformed codes: the next try meets the backoff."""
    for _ in range(throttle.LOGIN_ACCOUNT.free):
        assert log_in(client, totp, clock, code=code).status_code == 401
    assert log_in(client, totp, clock).status_code == 429


def test_idle_and_absolute_timeouts(client: TestClient, totp: pyotp.TOTP, clock: Clock) -> None:
    log_in(client, totp, clock)
    clock.advance(minutes=29)
    assert client.get("/staff/queue").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/staff/queue", follow_redirects=False).status_code == 303

    client.cookies.clear()
    log_in(client, totp, clock)
    for _ in range(25):  # active every 29 minutes, for just over 12 hours
        clock.advance(minutes=29)
        last = client.get("/staff/queue", follow_redirects=False)
    assert last.status_code == 303


def test_disabled_account_loses_its_sessions(
    client: TestClient, totp: pyotp.TOTP, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    log_in(client, totp, clock)
    assert client.get("/staff/queue").status_code == 200
    assert cli_main(["disable-user", "--email", EMAIL]) == 0
    assert client.get("/staff/queue", follow_redirects=False).status_code == 303
    clock.advance(seconds=30)
    assert log_in(client, totp, clock).status_code == 401


def test_the_queue_lists_alerts_by_urgency_then_deadline_and_acknowledges_with_csrf(
    client: TestClient,
    totp: pyotp.TOTP,
    clock: Clock,
    auth: dict[str, str],
    case_body: CaseBody,
    settings: Settings,
) -> None:
    references = {}
    for urgency, fields in [
        ("standard", {}),
        ("emergency", {"immediate_danger": "yes"}),
        ("priority", {"children": "yes"}),
    ]:
        created = client.post(
            "/internal/cases", json=case_body(what_happening="SECRET TEXT", **fields), headers=auth
        ).json()
        references[urgency] = created["reference"]
    log_in(client, totp, clock)
    page = client.get("/staff/queue").text
    positions = [page.index(references[u]) for u in ("emergency", "priority", "standard")]
    assert positions == sorted(positions)
    assert "SECRET TEXT" not in page
    assert "straight away" not in page and '<th scope="col">Reference</th>' in page

    with session_factory(settings)() as session:
        alert_id = session.scalars(select(Alert.id).where(Alert.urgency == "emergency")).one()
    url = f"/staff/queue/alerts/{alert_id}/acknowledge"
    assert client.post(url, data={"csrf_token": "forged"}).status_code == 403
    assert client.post(url, data={}).status_code == 403
    response = client.post(url, data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert response.status_code == 303
    missing = client.post(
        "/staff/queue/alerts/no-such-alert/acknowledge", data={"csrf_token": csrf_of(page)}
    )
    assert missing.status_code == 404
    with session_factory(settings)() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None and alert.acknowledged_at is not None
        assert alert.acknowledged_by == session.scalars(select(StaffUser.id)).one()


def test_acknowledge_needs_login(client: TestClient, settings: Settings) -> None:
    response = client.post("/staff/queue/alerts/x/acknowledge", data={}, follow_redirects=False)
    assert response.status_code == 303


def test_inactive_user_cannot_log_in(
    client: TestClient, totp: pyotp.TOTP, clock: Clock, settings: Settings
) -> None:
    with session_factory(settings)() as session:
        session.execute(update(StaffUser).values(active=False))
        session.commit()
    assert log_in(client, totp, clock).status_code == 401


def test_an_oversize_password_is_not_echoed(client: TestClient) -> None:
    secret = "my-secret-password-" + "x" * 1100
    form = {"email": "a@example.org", "password": secret, "code": "1"}
    response = client.post("/staff/login", data={**form, "csrf_token": form_token(client)})
    assert response.status_code == 401
    assert "my-secret-password" not in response.text
