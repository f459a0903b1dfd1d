"""Messaging channels: sealed contacts, the exactly-once inbox, Telegram message ids.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:51:02.194330
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "chat_messages",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", "message_id", name=op.f("pk_chat_messages")),
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_messages_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("delivery_hash", sa.String(length=64), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("keep_until", sa.DateTime(), nullable=False),
        sa.Column("data_key_id", sa.String(length=36), nullable=True),
        sa.Column("sealed_text", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("channel", "delivery_hash", name=op.f("uq_inbound_messages_channel")),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_messages_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_pseudonym"), ["pseudonym"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "messaging_contacts",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("data_key_id", sa.String(length=36), nullable=False),
        sa.Column("sealed_address", sa.LargeBinary(), nullable=False),
        sa.Column("reply_from", sa.String(length=64), nullable=True),
        sa.Column("wording", sa.String(length=16), nullable=False),
        sa.Column("introduced", sa.Boolean(), nullable=False),
        sa.Column("options", sa.Text(), nullable=True),
        sa.Column("last_inbound_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"],
            ["data_keys.id"],
            name=op.f("fk_messaging_contacts_data_key_id_data_keys"),
        ),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_messaging_contacts")),
    )
    with op.batch_alter_table("messaging_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_messaging_contacts_last_inbound_at"), ["last_inbound_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("messaging_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messaging_contacts_last_inbound_at"))

    op.drop_table("messaging_contacts")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_messages_received_at"))
        batch_op.drop_index(batch_op.f("ix_inbound_messages_pseudonym"))
        batch_op.drop_index("ix_inbound_messages_due")

    op.drop_table("inbound_messages")
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_messages_sent_at"))

    op.drop_table("chat_messages")
