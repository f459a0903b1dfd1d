"""One migration at a time per database, however many processes or machines try at once.

`make migrate`, a deploy script on two machines, and a development gateway starting beside a
staff command may all run `alembic upgrade head` together. Without a lock two of them would
both see an old revision and both create the same tables: one fails half-way. Under this lock
the second waits, then finds the database at head and does nothing.

- PostgreSQL: a session-level `pg_advisory_lock` on its own connection, released on exit (and by
  the server if the process dies), so every machine sharing the database waits its turn.
- SQLite (one machine by nature): an exclusive `flock` on `<database>.migrate-lock` beside the
  file; the kernel releases it if the process dies. Each holder opens the file itself, so
  threads of one process wait for each other as processes do.
- SQLite in memory: each connection is its own database, so there is nothing to share.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

ADVISORY_LOCK_KEY = 0x51D0_0A11_3A7E_0001
"""Any fixed number: every version of Quiet Door must take the same one to wait for the others."""


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's migration lock for the duration of the block (blocking until free)."""
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        with _advisory_lock(engine):
            yield
    elif backend == "sqlite":
        database = engine.url.database
        if database in (None, "", ":memory:"):
            yield
        else:
            with _file_lock(Path(f"{database}.migrate-lock")):
                yield
    else:
        raise RuntimeError(f"migrations run on SQLite or PostgreSQL only, not {backend}")


@contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            connection.commit()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
