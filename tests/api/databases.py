"""Fresh PostgreSQL databases for the case service's tests, fast enough to make one per test.

The schema is migrated once per session into a template database, and copied from it
(`CREATE DATABASE ... TEMPLATE`) into the one database the tests use in turn: after each test
every table is emptied (TRUNCATE: milliseconds, where a new copy takes a few tenths of a second
and running the migrations, as the app does at start-up, a second) and any per-database setting
reset. A test that changed the schema (`unmigrated` asks for no schema at all), or left a lock
behind, gets the database copied afresh from the template instead.

The server is `QD_TEST_POSTGRES_URL` when set (a superuser URL, `postgresql+psycopg://...`), or a
throwaway cluster under var/ (ops/services/postgres.py). `QD_TEST_POSTGRES=off` runs the tests on
SQLite only and says so in the report header; anything else that stops PostgreSQL fails loudly.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

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
        self.working = f"qd_test_{uuid.uuid4().hex[:12]}"
        self.schema_changed = False

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
        """Migrate the template once (its connections closed so it can be copied), copy it."""
        self.create(self.template)
        migrate(settings.model_copy(update={"database_url": self.url_for(self.template)}))
        dispose_engines()
        self.create(self.working, template=self.template)

    def drop_all(self) -> None:
        self.drop(self.working)
        self.drop(self.template)

    @contextmanager
    def fresh(self) -> Iterator[str]:
        """The migrated database with no rows, for one test; emptied again afterwards."""
        try:
            yield self.url_for(self.working)
        finally:
            dispose_engines()
            self._reset()

    def _reset(self) -> None:
        """Empty every table and reset per-database settings; copy afresh if that cannot be."""
        if not self.schema_changed:
            with suppress(psycopg.Error):  # a connection left open holds a lock: copy afresh
                self._truncate()
                return
        self.drop(self.working)
        self.create(self.working, template=self.template)
        self.schema_changed = False

    def _truncate(self) -> None:
        libpq = self.admin_url.set(drivername="postgresql", database=self.working)
        with psycopg.connect(libpq.render_as_string(hide_password=False)) as connection:
            connection.execute("SET lock_timeout = '5s'")
            tables = [
                sql.Identifier(name)
                for (name,) in connection.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename <> 'alembic_version'"
                )
            ]
            truncate = sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE")
            connection.execute(truncate.format(sql.SQL(", ").join(tables)))
        reset = sql.SQL("ALTER DATABASE {} RESET ALL").format(sql.Identifier(self.working))
        self._execute(reset)

    def empty(self, url: str) -> None:
        """Swap the test's database at `url` for an empty one, with no schema at all."""
        assert make_url(url).database == self.working
        dispose_engines()
        self.schema_changed = True
        self.drop(self.working)
        self.create(self.working)
