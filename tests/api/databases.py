"""Fresh PostgreSQL databases for the case service's tests, fast enough to make one per test.

The schema is migrated once per session into a template database; each test then gets a copy of
it (`CREATE DATABASE ... TEMPLATE`), which takes milliseconds where running the migrations (as
the app does at start-up) takes a second. The tests of the migrations themselves ask for an empty
database instead (`unmigrated`). Every database is dropped when its test ends.

The server is `QD_TEST_POSTGRES_URL` when set (a superuser URL, `postgresql+psycopg://...`), or a
throwaway cluster under var/ (ops/services/postgres.py). `QD_TEST_POSTGRES=off` runs the tests on
SQLite only and says so in the report header; anything else that stops PostgreSQL fails loudly.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from api.db import dispose_engines, migrate
from api.settings import REPO_ROOT, Settings
from ops.services.postgres import throwaway_postgres

VAR_DIR = REPO_ROOT / "var" / "test-services"


def postgres_enabled() -> bool:
    """False only when QD_TEST_POSTGRES=off is set explicitly."""
    return os.environ.get("QD_TEST_POSTGRES", "on").strip().lower() != "off"


@contextmanager
def postgres_server() -> Iterator[str]:
    """The superuser URL of the given server, or of a throwaway one for this session."""
    given = os.environ.get("QD_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    with throwaway_postgres(VAR_DIR) as url:
        yield url


class PostgresDatabases:
    """Creates and drops the test databases on one server, through its superuser URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url)
        self.template = f"qd_template_{uuid.uuid4().hex[:12]}"

    def url_for(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def _execute(self, statement: sql.Composable) -> None:
        libpq = self.admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq, autocommit=True) as connection:
            connection.execute(statement)

    def create(self, name: str, template: str = "template0") -> None:
        self._execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )

    def drop(self, name: str) -> None:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        self._execute(drop.format(sql.Identifier(name)))

    def build_template(self, settings: Settings) -> None:
        """Migrate the template once; its connections are closed so it can be copied."""
        self.create(self.template)
        migrate(settings.model_copy(update={"database_url": self.url_for(self.template)}))
        dispose_engines()

    @contextmanager
    def fresh(self) -> Iterator[str]:
        """A migrated database for one test, dropped (connections and all) afterwards."""
        name = f"qd_test_{uuid.uuid4().hex[:12]}"
        self.create(name, template=self.template)
        try:
            yield self.url_for(name)
        finally:
            dispose_engines()
            self.drop(name)

    def empty(self, url: str) -> None:
        """Swap the test's database at `url` for an empty one, with no schema at all."""
        name = make_url(url).database
        assert name is not None and name.startswith("qd_test_")
        dispose_engines()
        self.drop(name)
        self.create(name)
