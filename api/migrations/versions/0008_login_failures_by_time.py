"""Failed sign-ins and wrong codes found by time as well as by key.

The throttles (api/throttle.py) count every failure of a kind in the last minute (the global
ceiling) and delete failures older than their window on each new one. Without an index on
`at`, both read the whole table, which a spray of failures makes large: the ceiling meant to
slow the spray would have made each try slower for the server instead.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index("ix_login_failures_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failures_at")
