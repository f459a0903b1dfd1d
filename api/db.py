"""Database engine, sessions and migrations for the case service.

SQLite is the default so one machine runs the product with no database server. Every connection
gets WAL (readers never block the writer), enforced foreign keys, and `secure_delete` so a deleted
row's bytes are overwritten rather than left in free pages. PostgreSQL (`postgresql+psycopg://`,
for several replicas) runs every transaction at READ COMMITTED whatever the server's default, as
the audit chain's advisory lock and the single-use UPDATEs assume (api/audit/service.py).
The schema is created only by Alembic migrations, both in tests and in `make migrate`, so the two
can never drift apart.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from api.migration_lock import migration_lock
from api.settings import REPO_ROOT, Settings, current_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose constraint names are stable, so migrations can name them."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware datetimes in, aware UTC datetimes out, on any backend.

    SQLite drops the offset, which would silently turn deadline arithmetic into local-time guesses.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass an aware datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    """The one clock the service reads, so tests can replace it in a single place."""
    return dt.datetime.now(dt.UTC)


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """A new engine; for SQLite, create the parent folder and set the per-connection pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, isolation_level="READ COMMITTED")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _on_sqlite_connect)
    return engine


def get_engine(settings: Settings) -> Engine:
    """One engine per database URL per process, shared by requests, the worker and the CLI."""
    url = settings.resolved_database_url
    with _engines_lock:
        if url not in _engines:
            _engines[url] = make_engine(url)
        return _engines[url]


def session_factory(settings: Settings) -> sessionmaker[Session]:
    return sessionmaker(get_engine(settings), expire_on_commit=False)


T = TypeVar("T")


async def in_session(
    factory: sessionmaker[Session], fn: Callable[..., T], *args: Any, **kwargs: Any
) -> T:
    """Run `fn(session, *args, **kwargs)` with its own session in a thread.

    For async code (channels, workers): database calls never block the event loop.
    """

    def run() -> T:
        with factory() as session:
            return fn(session, *args, **kwargs)

    return await asyncio.to_thread(run)


def dispose_engines() -> None:
    """Close every pooled connection (tests, and before reading the raw database files)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def get_session(settings: Annotated[Settings, Depends(current_settings)]) -> Iterator[Session]:
    """FastAPI dependency: one session per request, closed afterwards; services commit."""
    with session_factory(settings)() as session:
        yield session


def alembic_config(settings: Settings) -> Any:
    """Alembic configuration pointing at this repository's migrations and the settings' URL."""
    from alembic.config import Config

    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", settings.resolved_database_url.replace("%", "%%"))
    config.attributes["settings"] = settings
    return config


def migrate(settings: Settings) -> None:
    """`alembic upgrade head` under the database's migration lock, so runs at once are safe.

    Run by `make migrate` (api/migrate.py), by a development gateway at start, and by the CLIs
    before they touch data; a production gateway only checks the revision (api/migrate.py).
    """
    from alembic import command

    with migration_lock(get_engine(settings)):  # the engine also creates the SQLite folder
        command.upgrade(alembic_config(settings), "head")
