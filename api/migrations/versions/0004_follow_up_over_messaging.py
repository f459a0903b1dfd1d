"""Follow-up over SMS, WhatsApp and Telegram: which team messages the reporter has seen, and
the code a messaging contact has just checked with (sealed, for a few minutes).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("follow_up_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reporter_seen_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("messaging_contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_follow_up_code", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("follow_up_until", sa.DateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_messaging_contacts_follow_up_until"), ["follow_up_until"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("messaging_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messaging_contacts_follow_up_until"))
        batch_op.drop_column("follow_up_until")
        batch_op.drop_column("sealed_follow_up_code")

    with op.batch_alter_table("follow_up_messages", schema=None) as batch_op:
        batch_op.drop_column("reporter_seen_at")
