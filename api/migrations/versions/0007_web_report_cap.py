"""The web chat's report cap: reports counted per address a day, and cases marked for review.

`web_report_counts` holds, for one UTC day, how many web chat reports came from an address, known
only by the keyed hash the gateway made of it and never linked to a case. `cases.review_reason`
says why a case needs a check before anyone acts on it (a report past the cap: no alert sent).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_report_counts",
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("address_hash", "day", name=op.f("pk_web_report_counts")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_reason", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("review_reason")
    op.drop_table("web_report_counts")
