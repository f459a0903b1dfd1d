"""Seen deliveries: every messaging delivery id ever accepted, kept so a replay is refused.

Twilio signs no timestamp: a captured signed request stays valid for as long as the account's
Auth Token, so the keyed hash of its MessageSid (or Telegram's update_id) is kept for good, in a
row that says nothing else (no pseudonym, no time). Filled from the delivery records still held.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_deliveries",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("delivery_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("channel", "delivery_hash", name=op.f("pk_seen_deliveries")),
    )
    op.execute(
        "INSERT INTO seen_deliveries (channel, delivery_hash)"
        " SELECT channel, delivery_hash FROM inbound_messages"
    )


def downgrade() -> None:
    op.drop_table("seen_deliveries")
