"""Alembic environment: runs migrations against the settings' database.

Called programmatically by `api.db.migrate` (settings passed in `config.attributes`) or from the
command line (settings read from the environment). Batch mode lets SQLite alter tables.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

import api.alerts.models  # noqa: F401  (each import registers its tables on Base.metadata)
import api.audit.models  # noqa: F401
import api.cases.models  # noqa: F401
import api.casework.models  # noqa: F401
import api.crypto.models  # noqa: F401
import api.staff.models  # noqa: F401
import channels.messaging.models  # noqa: F401
from api.db import Base, get_engine
from api.settings import Settings

config = context.config
settings: Settings | None = config.attributes.get("settings")
if settings is None:
    settings = Settings()
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_offline() -> None:
    context.configure(
        url=settings.resolved_database_url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    with get_engine(settings).connect() as connection:
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
