"""Copying the database out and back in without stopping the gateway or corrupting either copy.

SQLite goes through its online backup API: a consistent snapshot, page by page, while the gateway
keeps reading and writing (a plain file copy of a WAL database can miss or tear pages), and back
the same way, so the live file's WAL and locks stay SQLite's business. PostgreSQL goes through
pg_dump and pg_restore (custom format), its password in the environment, never on the command
line where other local users could read it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from api.backup.sealed import create_private
from api.db import get_engine
from api.settings import Settings


class DatabaseCopyError(Exception):
    """The database cannot be copied out or in; the message says why."""


def dialect(settings: Settings) -> str:
    return make_url(settings.resolved_database_url).get_backend_name()


def _sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.resolved_database_url).database or "")


def exists(settings: Settings) -> bool:
    """Whether the database holds a schema: restoring over it would replace someone's data."""
    if dialect(settings) == "sqlite" and not _sqlite_path(settings).is_file():
        return False
    with get_engine(settings).connect() as connection:
        return bool(inspect(connection).get_table_names())


def schema_revision(settings: Settings) -> str:
    with get_engine(settings).connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def _libpq(settings: Settings) -> tuple[str, dict[str, str]]:
    """The address for pg_dump/pg_restore without its password, and an environment with it."""
    url = make_url(settings.resolved_database_url)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    )
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise DatabaseCopyError(
            f"{name} is not installed (Debian: apt-get install postgresql-client)"
        )
    return found


def _run(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise DatabaseCopyError(f"{Path(argv[0]).name} failed: {done.stderr.strip()[-500:]}")


def dump(settings: Settings, dest: Path) -> None:
    """A consistent copy of the live database in a new 0600 file."""
    create_private(dest).close()
    if dialect(settings) == "sqlite":
        source = _sqlite_path(settings)
        if not source.is_file():
            raise DatabaseCopyError(f"there is no database at {source}")
        with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(dest)) as copy:
            live.backup(copy)
            # One self-contained file: no -wal beside it to leave behind.
            copy.execute("PRAGMA journal_mode=DELETE")
        return
    if dialect(settings) != "postgresql":
        raise DatabaseCopyError(f"backups of {dialect(settings)} databases are not supported")
    url, env = _libpq(settings)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(dest), url], env)


def check(settings: Settings, snapshot: Path) -> str | None:
    """Refuse a copy that is not a whole database; return its schema revision (SQLite: read
    from the copy; PostgreSQL: None, pg_restore only checks the archive can be listed)."""
    if dialect(settings) != "sqlite":
        _run([_tool("pg_restore"), "--list", str(snapshot)], dict(os.environ))
        return None
    try:
        with closing(sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)) as copy:
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as error:
        raise DatabaseCopyError(f"the backed-up database cannot be read: {error}") from None
    if verdict != "ok" or revision is None:
        raise DatabaseCopyError("the backed-up database failed SQLite's integrity check")
    return str(revision[0])


def load(settings: Settings, snapshot: Path) -> None:
    """Replace the database's contents with the snapshot's (the gateway must be stopped)."""
    if dialect(settings) != "sqlite":
        url, env = _libpq(settings)
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "--dbname",
                url,
                str(snapshot),
            ],
            env,
        )
        return
    target = _sqlite_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        create_private(target).close()
    with closing(sqlite3.connect(snapshot)) as copy, closing(sqlite3.connect(target)) as live:
        copy.backup(live)


def remove(path: Path) -> None:
    """Delete a scratch copy and any journal SQLite left beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
