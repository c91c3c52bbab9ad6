"""Follow-up cases at HQ: ``cases`` (the current state, note, who and when of each case that
was changed, at HQ or on a kiosk; ``change_id`` the cursor kiosks pull changes by). A case with
no row is an open one (every complete detractor answer with contact consent). See hq/cases.py.

Revision ID: 0008_cases
Revises: 0007_corrected_time
Create Date: 2027-03-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_cases"
down_revision = "0007_corrected_time"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("response_id", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("change_id", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("reopened_at", sa.DateTime(), nullable=True),
        sa.Column("episode", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "state IN ('open', 'contacted', 'resolved')", name=op.f("ck_cases_state_known")
        ),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_cases")),
        sa.UniqueConstraint("change_id", name=op.f("uq_cases_change_id")),
    )
    op.create_index("ix_cases_store_change", "cases", ["store_id", "change_id"], unique=False)
    op.create_index("ix_cases_resolved_at", "cases", ["resolved_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_resolved_at", table_name="cases")
    op.drop_index("ix_cases_store_change", table_name="cases")
    op.drop_table("cases")
