"""The throwaway PostgreSQL the tests start (ops/services/postgres.py): loopback only, and gone
afterwards, even when an earlier run was killed before it could clean up; and the case service's
connections to PostgreSQL (api/db.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.db import make_engine
from api.settings import REPO_ROOT
from ops.services.postgres import throwaway_postgres
from tests.api.databases import VAR_DIR, PostgresDatabases, postgres_enabled

pytestmark = pytest.mark.skipif(not postgres_enabled(), reason="QD_TEST_POSTGRES=off")


@pytest.fixture
def var_dir() -> Iterator[Path]:
    """A folder under var/ (PostgreSQL's own user cannot enter pytest's private tmp folders)."""
    folder = VAR_DIR / f"service-test-{uuid.uuid4().hex[:8]}"
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_a_cluster_listens_on_loopback_only_and_leaves_nothing_behind(var_dir: Path) -> None:
    with throwaway_postgres(var_dir) as url:
        assert make_url(url).host == "127.0.0.1"
        with psycopg.connect(libpq(url)) as connection:
            listening = connection.execute("SHOW listen_addresses").fetchone()
        assert listening == ("127.0.0.1",)
        assert len(list(var_dir.glob("pg-*"))) == 1
    assert list(var_dir.iterdir()) == []


def test_a_cluster_left_by_a_killed_run_is_stopped_and_removed_by_the_next(var_dir: Path) -> None:
    starter = (
        "import sys, time; from pathlib import Path; "
        "from ops.services.postgres import throwaway_postgres\n"
        "with throwaway_postgres(Path(sys.argv[1])) as url:\n"
        "    print(url, flush=True); time.sleep(120)"
    )
    run = subprocess.Popen(
        [sys.executable, "-c", starter, str(var_dir)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert run.stdout is not None
    orphan_url = run.stdout.readline().strip()
    run.kill()  # no teardown: its server keeps running and its folder stays
    run.wait()
    psycopg.connect(libpq(orphan_url)).close()

    with throwaway_postgres(var_dir):
        assert len(list(var_dir.glob("pg-*"))) == 1
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(libpq(orphan_url), connect_timeout=2)


def test_the_case_service_reads_committed_whatever_the_server_default(
    postgres_databases: PostgresDatabases,
) -> None:
    """The audit chain's lock and the single-use UPDATEs rely on READ COMMITTED (api/db.py)."""
    with postgres_databases.fresh() as url:
        name = make_url(url).database
        with psycopg.connect(libpq(url), autocommit=True) as admin:
            admin.execute(
                sql.SQL(
                    "ALTER DATABASE {} SET default_transaction_isolation = 'serializable'"
                ).format(sql.Identifier(name))
            )
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                isolation = connection.scalar(text("SHOW transaction_isolation"))
        finally:
            engine.dispose()
        with psycopg.connect(libpq(url)) as plain:
            server_default = plain.execute("SHOW transaction_isolation").fetchone()
    assert (isolation, server_default) == ("read committed", ("serializable",))
