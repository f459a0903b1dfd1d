"""`make migrate` (`python -m api.migrate`): bring the database to the code's schema, once.

Migrations are a deploy step, not part of starting a replica: with several gateways behind a
proxy, each start would otherwise race the others to alter the same tables, and an upgrade
would change the schema under replicas still running the old code at a moment nobody chose.

- `make migrate` upgrades to head under the database's migration lock (api/migration_lock.py),
  so two at once (two machines running the deploy) are safe: the second finds nothing to do.
- A production gateway (QD_ENV=production) only reads the revision (api/startup_checks.py): not
  at head, it refuses to start and says to run `make migrate`. It never alters the schema.
- A development gateway still migrates at start, under the same lock, so `make run` on a fresh
  clone and the tests need no extra step.
"""

from __future__ import annotations

import sys

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from api.db import alembic_config, get_engine, migrate
from api.secret_files import SecretFileError
from api.settings import Settings


def head_revision(settings: Settings) -> str:
    """The newest revision this code's migrations define."""
    head = ScriptDirectory.from_config(alembic_config(settings)).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def database_revision(settings: Settings) -> str | None:
    """The revision the database is at; None when it has never been migrated. Read only."""
    with get_engine(settings).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_refusal(settings: Settings) -> str | None:
    """Why a production gateway must not start on this database, or None when it is at head."""
    current, head = database_revision(settings), head_revision(settings)
    if current == head:
        return None
    found = "has never been migrated" if current is None else f"is at revision {current}"
    return (
        f"the database {found}, not this version's {head} (QD_ENV=production never migrates at "
        "start): run `make migrate` once for the deploy, then start the gateways"
    )


def prepare_schema(settings: Settings) -> None:
    """The gateway's schema step: development migrates, for a fresh clone's convenience;
    production leaves the schema alone (`startup_refusals` has already refused a database that
    is not at head)."""
    if settings.env != "production":
        migrate(settings)


def main(argv: list[str]) -> int:
    if argv:
        print("usage: python -m api.migrate", file=sys.stderr)
        return 2
    try:
        settings = Settings()
    except SecretFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    migrate(settings)
    print(f"database at head: {database_revision(settings)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
