"""Protocol v2 on the kiosk: each answer records the published survey version it was asked
with, the store profile HQ sent is kept (signed, as received), and the sync status keeps what
the health report needs without scanning anything.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

- ``responses.survey_version``: nullable; NULL for every answer recorded before (and for every
  answer of a kiosk that never applied a profile from HQ).
- ``store_profile`` (one row, id 1): the signed profile JSON as HQ sent it, its version, when it
  was received and applied.
- ``sync_status``: ``recoveries_since_sync`` (answers completed on start after a crash, not yet
  reported to HQ), ``profile_error`` / ``profile_error_at`` (the last profile refused).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    if "survey_version" not in _columns("responses"):
        # A plain ADD COLUMN (no table rebuild): the triggers and indexes on responses stay.
        op.add_column("responses", sa.Column("survey_version", sa.Integer(), nullable=True))
    status = _columns("sync_status")
    for name, column in (
        (
            "recoveries_since_sync",
            sa.Column("recoveries_since_sync", sa.Integer(), nullable=False, server_default="0"),
        ),
        ("profile_error", sa.Column("profile_error", sa.Text(), nullable=True)),
        ("profile_error_at", sa.Column("profile_error_at", sa.DateTime(), nullable=True)),
    ):
        if name not in status:
            op.add_column("sync_status", column)
    if not sa.inspect(op.get_bind()).has_table("store_profile"):
        op.create_table(
            "store_profile",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("version", sa.Integer(), nullable=False),
            sa.Column("store_id", sa.String(64), nullable=False),
            sa.Column("signed", sa.Text(), nullable=False),
            sa.Column("received_at", sa.DateTime(), nullable=False),
            sa.Column("applied_at", sa.DateTime(), nullable=True),
        )


def downgrade() -> None:
    op.drop_table("store_profile")
    with op.batch_alter_table("sync_status") as batch:
        batch.drop_column("profile_error_at")
        batch.drop_column("profile_error")
        batch.drop_column("recoveries_since_sync")
    op.drop_column("responses", "survey_version")
