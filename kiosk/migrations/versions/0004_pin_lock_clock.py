"""The PIN lockout counts on the monotonic clock: seconds of lock left, and the monotonic
reading they were counted at (moving the wall clock forward no longer ends a lockout).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

A lock already running when a kiosk is upgraded keeps its wall-clock end until the PIN gate
first reads it; kiosk.pin then converts it (bounded by the length of that lock).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("pin_state")}
    with op.batch_alter_table("pin_state") as batch:
        if "lock_left_s" not in columns:
            batch.add_column(sa.Column("lock_left_s", sa.Float(), nullable=True))
        if "lock_mono_s" not in columns:
            batch.add_column(sa.Column("lock_mono_s", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pin_state") as batch:
        batch.drop_column("lock_mono_s")
        batch.drop_column("lock_left_s")
