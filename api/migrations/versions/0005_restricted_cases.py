"""Restricted cases: a case closed to all but named staff, and declared conflicts of interest.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_restrictions",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("restricted_by", sa.String(length=36), nullable=False),
        sa.Column("restricted_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "reason IN ('allegation_against_staff', 'colleague_case', 'conflict_of_interest')",
            name=op.f("ck_case_restrictions_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_restrictions_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["restricted_by"],
            ["staff_users.id"],
            name=op.f("fk_case_restrictions_restricted_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_restrictions")),
    )
    op.create_table(
        "case_restricted_to",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_restrictions.case_id"],
            name=op.f("fk_case_restricted_to_case_id_case_restrictions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_case_restricted_to_staff_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("case_id", "staff_id", name=op.f("pk_case_restricted_to")),
    )
    with op.batch_alter_table("case_restricted_to", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_restricted_to_staff_id"), ["staff_id"], unique=False
        )
    op.create_table(
        "conflict_declarations",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=False),
        sa.Column("declared_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_conflict_declarations_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_conflict_declarations_staff_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("case_id", "staff_id", name=op.f("pk_conflict_declarations")),
    )
    with op.batch_alter_table("conflict_declarations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conflict_declarations_staff_id"), ["staff_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("conflict_declarations")
    op.drop_table("case_restricted_to")
    op.drop_table("case_restrictions")
