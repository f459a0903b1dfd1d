"""The schema comes from migrations (SQLite, PostgreSQL) and matches the models; SQLite pragmas."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

import channels.messaging.models  # noqa: F401  (registers the messaging tables)
from api.db import Base, alembic_config, get_engine, migrate
from api.settings import Settings


def test_migrations_create_exactly_the_models(migrated: Settings) -> None:
    with get_engine(migrated).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    tables = set(inspect(get_engine(migrated)).get_table_names())
    assert {"cases", "alerts", "outbox", "data_keys", "staff_users", "staff_sessions"} <= tables
    assert {"messaging_contacts", "inbound_messages", "chat_messages"} <= tables


def test_migrate_is_idempotent(migrated: Settings) -> None:
    migrate(migrated)
    with get_engine(migrated).connect() as connection:
        version = connection.scalar(text("SELECT version_num FROM alembic_version"))
    assert version == ScriptDirectory.from_config(alembic_config(migrated)).get_current_head()


def test_migrations_run_on_an_empty_database(unmigrated: Settings) -> None:
    assert inspect(get_engine(unmigrated)).get_table_names() == []
    migrate(unmigrated)
    with get_engine(unmigrated).connect() as connection:
        version = connection.scalar(text("SELECT version_num FROM alembic_version"))
    assert version == ScriptDirectory.from_config(alembic_config(unmigrated)).get_current_head()


def test_migrations_at_once_wait_for_each_other_and_end_at_head(unmigrated: Settings) -> None:
    """`make migrate` on two machines at once: under the migration lock (api/migration_lock.py)
    the others wait, then find nothing left to do; without it they fail creating the same tables."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = [pool.submit(migrate, unmigrated) for _ in range(4)]
        for run in runs:
            run.result(timeout=120)
    with get_engine(unmigrated).connect() as connection:
        version = connection.scalar(text("SELECT version_num FROM alembic_version"))
    assert version == ScriptDirectory.from_config(alembic_config(unmigrated)).get_current_head()


@pytest.mark.sqlite_only
def test_sqlite_pragmas(migrated: Settings) -> None:
    with get_engine(migrated).connect() as connection:
        assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
        assert connection.scalar(text("PRAGMA foreign_keys")) == 1
        assert connection.scalar(text("PRAGMA secure_delete")) == 1
