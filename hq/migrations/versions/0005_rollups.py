"""Rollups: nps_rollups (store x store-local day x channel x language x survey version) and
nps_day_rollups (store x store-local day), promoters/passives/detractors with suspect
responses apart; stores.time_zone caches each store's profile zone. Existing responses are
counted into the rollups here, with the zone each store's profile has now.

Revision ID: 0005_rollups
Revises: 0004
Create Date: 2027-03-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_rollups"
down_revision = "0004"
branch_labels = None
depends_on = None


def _counts() -> list[sa.Column[int]]:
    names = (
        "promoters",
        "passives",
        "detractors",
        "suspect_promoters",
        "suspect_passives",
        "suspect_detractors",
    )
    return [sa.Column(n, sa.Integer(), nullable=False) for n in names]


def upgrade() -> None:
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False)
        )
    op.create_table(
        "nps_rollups",
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("survey_version", sa.Integer(), nullable=False),
        *_counts(),
        sa.PrimaryKeyConstraint(
            "store_id", "day", "channel", "language", "survey_version", name="pk_nps_rollups"
        ),
    )
    op.create_index("ix_nps_rollups_day", "nps_rollups", ["day"])
    op.create_table(
        "nps_day_rollups",
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *_counts(),
        sa.PrimaryKeyConstraint("store_id", "day", name="pk_nps_day_rollups"),
    )
    op.create_index("ix_nps_day_rollups_day", "nps_day_rollups", ["day", "store_id"])

    from hq.rollups import rebuild, refresh_time_zones

    conn = op.get_bind()
    refresh_time_zones(conn, rebuild_changed=False)  # the zones, then every store once
    # corrected_time comes with 0007, the week table with 0010 (which fills it from these).
    rebuild(conn, time_column="device_time", weeks=False)


def downgrade() -> None:
    op.drop_index("ix_nps_day_rollups_day", table_name="nps_day_rollups")
    op.drop_table("nps_day_rollups")
    op.drop_index("ix_nps_rollups_day", table_name="nps_rollups")
    op.drop_table("nps_rollups")
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
