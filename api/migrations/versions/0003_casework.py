"""Casework: assignment and case facts, entries, links, DASH, sharing, repairs, reviews,
follow-up messages, alert escalation and the hash-chained audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:25:49.565050
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=24), nullable=False),
        sa.Column("object_id", sa.String(length=36), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_object_id"), ["object_id"], unique=False)

    op.create_table(
        "case_entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sealed_body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff_users.id"], name=op.f("fk_case_entries_author_id_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_entries_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_entries")),
    )
    with op.batch_alter_table("case_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_entries_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_links",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("related_case_id", sa.String(length=36), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_links_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff_users.id"], name=op.f("fk_case_links_created_by_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["related_case_id"],
            ["cases.id"],
            name=op.f("fk_case_links_related_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_links")),
    )
    with op.batch_alter_table("case_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_links_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_links_related_case_id"), ["related_case_id"], unique=False
        )

    op.create_table(
        "case_reviews",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("reviewer_id", sa.String(length=36), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("next_review_at", sa.DateTime(), nullable=True),
        sa.Column("sealed_notes", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_reviews_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["staff_users.id"],
            name=op.f("fk_case_reviews_reviewer_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_reviews")),
    )
    with op.batch_alter_table("case_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_reviews_case_id"), ["case_id"], unique=False)

    op.create_table(
        "dash_assessments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("assessor_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("yes_count", sa.Integer(), nullable=False),
        sa.Column("risk_level", sa.String(length=16), nullable=False),
        sa.Column("marac_criteria", sa.Text(), nullable=False),
        sa.Column("sealed_answers", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessor_id"],
            ["staff_users.id"],
            name=op.f("fk_dash_assessments_assessor_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_dash_assessments_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dash_assessments")),
    )
    with op.batch_alter_table("dash_assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dash_assessments_case_id"), ["case_id"], unique=False)

    op.create_table(
        "follow_up_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("from_reporter", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sealed_text", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["staff_users.id"],
            name=op.f("fk_follow_up_messages_author_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_follow_up_messages_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_messages")),
    )
    with op.batch_alter_table("follow_up_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_follow_up_messages_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "repair_orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("ordered_by", sa.String(length=36), nullable=False),
        sa.Column("ordered_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("contractor_reference", sa.String(length=60), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("charged_to_survivor", sa.Boolean(), nullable=False),
        sa.Column("sealed_work", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("NOT charged_to_survivor", name=op.f("ck_repair_orders_never_charged")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_repair_orders_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ordered_by"], ["staff_users.id"], name=op.f("fk_repair_orders_ordered_by_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_orders")),
    )
    with op.batch_alter_table("repair_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repair_orders_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_repair_orders_due_at"), ["due_at"], unique=False)

    op.create_table(
        "sharing_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("recipient", sa.String(length=120), nullable=False),
        sa.Column("lawful_basis", sa.String(length=16), nullable=False),
        sa.Column("with_consent", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("signed_off_by", sa.String(length=36), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(), nullable=True),
        sa.Column("sealed_detail", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(
            "lawful_basis IN ('consent', 'safeguarding', 'marac', 'legal_duty')",
            name=op.f("ck_sharing_records_basis"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_sharing_records_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["staff_users.id"],
            name=op.f("fk_sharing_records_decided_by_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["signed_off_by"],
            ["staff_users.id"],
            name=op.f("fk_sharing_records_signed_off_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_records")),
    )
    with op.batch_alter_table("sharing_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sharing_records_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("deadline_escalated_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_to", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("team", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("first_contact_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("risk_level", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("marac_referred_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("review_due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("closure_reason", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("follow_up_expires_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_assigned_to"), ["assigned_to"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_team"), ["team"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_assigned_to_staff_users"), "staff_users", ["assigned_to"], ["id"]
        )

    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("team", sa.String(length=40), server_default="resolution", nullable=False)
        )


def downgrade() -> None:

    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("team")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_assigned_to_staff_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_cases_team"))
        batch_op.drop_index(batch_op.f("ix_cases_closed_at"))
        batch_op.drop_index(batch_op.f("ix_cases_assigned_to"))
        batch_op.drop_column("follow_up_expires_at")
        batch_op.drop_column("closure_reason")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("review_due_at")
        batch_op.drop_column("marac_referred_at")
        batch_op.drop_column("risk_level")
        batch_op.drop_column("first_contact_at")
        batch_op.drop_column("team")
        batch_op.drop_column("assigned_to")

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("deadline_escalated_at")
        batch_op.drop_column("escalated_at")

    with op.batch_alter_table("sharing_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_records_case_id"))

    op.drop_table("sharing_records")
    with op.batch_alter_table("repair_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repair_orders_due_at"))
        batch_op.drop_index(batch_op.f("ix_repair_orders_case_id"))

    op.drop_table("repair_orders")
    with op.batch_alter_table("follow_up_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_messages_case_id"))

    op.drop_table("follow_up_messages")
    with op.batch_alter_table("dash_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dash_assessments_case_id"))

    op.drop_table("dash_assessments")
    with op.batch_alter_table("case_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_reviews_case_id"))

    op.drop_table("case_reviews")
    with op.batch_alter_table("case_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_links_related_case_id"))
        batch_op.drop_index(batch_op.f("ix_case_links_case_id"))

    op.drop_table("case_links")
    with op.batch_alter_table("case_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_entries_case_id"))

    op.drop_table("case_entries")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_object_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))

    op.drop_table("audit_events")
