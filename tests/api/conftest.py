"""Fixtures for the case service: a real database per test, real keys, a real SMTP server.

Every test gets a fresh SQLite file. The modules in POSTGRES_MODULES, those whose SQL meets the
database's own semantics (locks, transactions, types, ordering, migrations), run a second time
on a fresh PostgreSQL 15 database each (tests/api/databases.py): `test_x[sqlite]` and
`test_x[postgresql]`. The rest run on SQLite only, which keeps `make test` within its time.
"""

from __future__ import annotations

import base64
import os
import socket
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.db import dispose_engines, migrate, session_factory
from api.settings import REPO_ROOT, Settings
from tests.api.databases import PostgresDatabases, postgres_enabled, postgres_server

SERVICE_TOKEN = "test-service-token-0123456789abcdef"
POSTGRES_MODULES = frozenset(
    {
        "test_alerts",
        "test_audit",
        "test_audit_coverage",
        "test_cases_api",
        "test_casework",
        "test_casework_access",
        "test_concurrent_writers",
        "test_db",
        "test_escalation",
        "test_report_cap",
        "test_restricted_cases",
        "test_retention",
        "test_staff",
        "test_throttles",
    }
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the POSTGRES_MODULES' database tests on both backends (PostgreSQL unless turned off)."""
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") is not None
    if "database" in metafunc.fixturenames and module in POSTGRES_MODULES and not sqlite_only:
        backends = ["sqlite", "postgresql"] if postgres_enabled() else ["sqlite"]
        metafunc.parametrize("database", backends, indirect=True, scope="function")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: a test of SQLite itself, not on PostgreSQL")


def pytest_report_header() -> str:
    if postgres_enabled():
        return "PostgreSQL: database tests also run on PostgreSQL 15 (tests/api/conftest.py)"
    return "PostgreSQL: OFF (QD_TEST_POSTGRES=off): database tests run on SQLite only"


def random_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture(name="random_key")
def random_key_fixture() -> Callable[[], str]:
    """A fresh base64 key, as QD_MASTER_KEYS and QD_HASH_KEY take them."""
    return random_key


def make_settings(var_dir: Path, database_url: str | None = None) -> Settings:
    """Settings with fresh keys and no e-mail; SQLite under `var_dir` unless a URL is given."""
    return Settings(
        var_dir=var_dir,
        database_url=database_url,
        master_keys=f"k1:{random_key()}",
        hash_key=random_key(),
        service_token=SERVICE_TOKEN,
        org="stonewater",
        org_dir=REPO_ROOT / "orgs",
        alert_emails="",
        smtp_host=None,
        outbox_poll_seconds=0.2,
        outbox_retry_base_seconds=0.2,
        outbox_retry_max_seconds=1.0,
        smtp_timeout_seconds=2.0,
        staff_base_url="https://staff.example.org",
    )


@pytest.fixture(scope="session")
def postgres_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresDatabases]:
    """One PostgreSQL server per session, with the schema migrated once into a template."""
    with postgres_server() as admin_url:
        databases = PostgresDatabases(admin_url)
        databases.build_template(make_settings(tmp_path_factory.mktemp("template")))
        try:
            yield databases
        finally:
            dispose_engines()
            databases.drop_all()


@pytest.fixture
def database(request: pytest.FixtureRequest) -> str:
    """The backend under test: "sqlite" unless the module runs on both (see the docstring)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def settings(tmp_path: Path, database: str, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Settings for one test: its own database and fresh keys; no e-mail by default.

    SQLite starts empty (the app or `migrated` runs the migrations); PostgreSQL starts migrated.
    """
    if database == "sqlite":
        yield make_settings(tmp_path / "var")
        dispose_engines()
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    with databases.fresh() as url:
        yield make_settings(tmp_path / "var", url)


@pytest.fixture
def migrated(settings: Settings) -> Settings:
    migrate(settings)
    return settings


@pytest.fixture
def unmigrated(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The test's settings over a database with no schema at all, on either backend."""
    if settings.database_url is not None:
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        databases.empty(settings.database_url)
    return settings


@pytest.fixture
def db(migrated: Settings) -> Iterator[Session]:
    with session_factory(migrated)() as session:
        yield session


def build_app(settings: Settings) -> FastAPI:
    """The real application factory, so the tests see exactly what runs."""
    return create_app(settings)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app over https (so `__Host-` cookies are kept), lifespan and outbox worker running."""
    with TestClient(build_app(settings), base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {SERVICE_TOKEN}"}


class Mailbox:
    """Collects what the local SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        data: bytes = envelope.content  # type: ignore[attr-defined]
        self.raw.append(data)
        self.messages.append(message_from_bytes(data))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def mailbox(smtp_port: int) -> Iterator[Mailbox]:
    """A real SMTP server on loopback, as staff alert mail goes to."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp_port: int) -> Settings:
    """Settings that send alert e-mail to two staff addresses through the local server."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "alert_emails": "duty@example.org, manager@example.org",
        }
    )


def minimal_case(**fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "idempotency_key": f"test-{os.urandom(8).hex()}",
        "channel": "web",
        "reporter_type": "self",
    }
    body.update(fields)
    return body


@pytest.fixture
def case_body() -> Callable[..., dict[str, object]]:
    """Builds a minimal valid report; tests add or override fields."""
    return minimal_case
