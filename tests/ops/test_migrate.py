"""Migrations are one deploy step (`make migrate`), safe to run twice at once; a production
gateway never alters the schema and refuses a database that is not at head."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from api.app import create_app
from api.db import alembic_config, get_engine, migrate
from api.migrate import database_revision, head_revision
from api.migration_lock import migration_lock
from api.settings import REPO_ROOT, Settings
from api.startup_checks import StartupRefused
from tests.ops.production_settings import production_settings

pytestmark = pytest.mark.usefixtures("clean_environment")


def development_settings(var_dir: Path) -> Settings:
    return Settings(var_dir=var_dir, org_dir=REPO_ROOT / "orgs")


def tables(settings: Settings) -> list[str]:
    return inspect(get_engine(settings)).get_table_names()


def test_two_make_migrate_processes_at_once_both_succeed_at_head(var_dir: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(REPO_ROOT),
        "QD_VAR_DIR": str(var_dir),
        "PYTHONWARNINGS": "ignore",
    }
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "api.migrate"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [run.communicate(timeout=120) for run in runs]
    settings = development_settings(var_dir)
    head = head_revision(settings)
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in results]
    assert all(out.strip() == f"database at head: {head}" for out, _ in results)
    assert database_revision(settings) == head


def test_migrations_from_several_threads_at_once_end_at_head(var_dir: Path) -> None:
    settings = development_settings(var_dir)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            migrate(settings)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert database_revision(settings) == head_revision(settings)


def test_a_migration_waits_while_another_holds_the_lock(var_dir: Path) -> None:
    settings = development_settings(var_dir)
    waiting = threading.Thread(target=migrate, args=(settings,))
    with migration_lock(get_engine(settings)):
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive()
        assert database_revision(settings) is None  # nothing written while the lock is held
    waiting.join(timeout=120)
    assert database_revision(settings) == head_revision(settings)


def test_a_production_gateway_refuses_a_database_never_migrated_and_leaves_it_alone(
    var_dir: Path,
) -> None:
    settings = production_settings(var_dir)
    with pytest.raises(StartupRefused) as refused, TestClient(create_app(settings)):
        pass
    message = str(refused.value)
    assert "never been migrated" in message and "make migrate" in message
    assert tables(settings) == []


def test_a_production_gateway_refuses_a_database_behind_the_code(var_dir: Path) -> None:
    settings = production_settings(var_dir)
    command.upgrade(alembic_config(settings), "0007")
    before = tables(settings)
    with pytest.raises(StartupRefused) as refused, TestClient(create_app(settings)):
        pass
    assert "is at revision 0007" in str(refused.value) and "make migrate" in str(refused.value)
    assert database_revision(settings) == "0007" and tables(settings) == before


def test_a_production_gateway_starts_on_a_migrated_database(var_dir: Path) -> None:
    settings = production_settings(var_dir)
    migrate(settings)
    with TestClient(create_app(settings)):
        pass
    assert database_revision(settings) == head_revision(settings)


def test_a_development_gateway_still_migrates_at_start(var_dir: Path) -> None:
    settings = development_settings(var_dir)
    with TestClient(create_app(settings)):
        pass
    assert database_revision(settings) == head_revision(settings)
