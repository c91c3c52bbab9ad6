"""Coarse rollups: nps_week_rollups (store x store-local ISO week, keyed by its Monday), filled
from nps_day_rollups; the day table's day index made covering (day, store, the six counts), and
the week table's the same, so a range of days or weeks over every store is read from an index.

Revision ID: 0010_coarse_rollups
Revises: 0009_consent
Create Date: 2027-03-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_coarse_rollups"
down_revision = "0009_consent"
branch_labels = None
depends_on = None

COUNTS = (
    "promoters",
    "passives",
    "detractors",
    "suspect_promoters",
    "suspect_passives",
    "suspect_detractors",
)


def upgrade() -> None:
    op.create_table(
        "nps_week_rollups",
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        *[sa.Column(n, sa.Integer(), nullable=False) for n in COUNTS],
        sa.PrimaryKeyConstraint("store_id", "week", name="pk_nps_week_rollups"),
    )
    op.create_index("ix_nps_week_rollups_week", "nps_week_rollups", ["week", "store_id", *COUNTS])
    op.drop_index("ix_nps_day_rollups_day", table_name="nps_day_rollups")
    op.create_index("ix_nps_day_rollups_day", "nps_day_rollups", ["day", "store_id", *COUNTS])
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        week = "date(day, '-6 days', 'weekday 1')"  # the Monday on or before the day
    else:
        week = "CAST(date_trunc('week', day) AS date)"
    sums = ", ".join(f"SUM({c})" for c in COUNTS)
    op.execute(
        f"INSERT INTO nps_week_rollups (store_id, week, {', '.join(COUNTS)}) "
        f"SELECT store_id, {week}, {sums} FROM nps_day_rollups GROUP BY store_id, {week}"
    )


def downgrade() -> None:
    op.drop_index("ix_nps_day_rollups_day", table_name="nps_day_rollups")
    op.create_index("ix_nps_day_rollups_day", "nps_day_rollups", ["day", "store_id"])
    op.drop_index("ix_nps_week_rollups_week", table_name="nps_week_rollups")
    op.drop_table("nps_week_rollups")
