"""Kiosk sync: the batch ledger, the outbox's state, and a partial index of unsent responses.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

The index condition is copied here on purpose (not imported from kiosk.models) so that this
revision keeps meaning what it meant when it was written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UNSENT_WHERE = "status = 'complete' AND sync_state IN ('pending', 'exported') AND seeded = 0"


def upgrade() -> None:
    conn = op.get_bind()
    tables = set(sa.inspect(conn).get_table_names())
    if "sync_batches" not in tables:
        op.create_table(
            "sync_batches",
            sa.Column("batch_id", sa.String(36), nullable=False),
            sa.Column("kind", sa.String(8), nullable=False),
            sa.Column("at", sa.DateTime(), nullable=False),
            sa.Column("size", sa.Integer(), nullable=False),
            sa.Column("accepted", sa.Integer(), nullable=False),
            sa.Column("duplicate", sa.Integer(), nullable=False),
            sa.Column("rejected", sa.Integer(), nullable=False),
            sa.Column("server_time", sa.DateTime(), nullable=True),
            sa.Column("file_name", sa.Text(), nullable=True),
            sa.CheckConstraint(
                "kind IN ('upload', 'file')", name=op.f("ck_sync_batches_kind_known")
            ),
            sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_sync_batches")),
        )
        op.create_index(op.f("ix_sync_batches_at"), "sync_batches", ["at"])
    if "sync_status" not in tables:
        op.create_table(
            "sync_status",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("hq_url", sa.Text(), nullable=True),
            sa.Column("public_url", sa.Text(), nullable=True),
            sa.Column("ca_bundle", sa.Text(), nullable=True),
            sa.Column("enrolled_at", sa.DateTime(), nullable=True),
            sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
            sa.Column("last_success_at", sa.DateTime(), nullable=True),
            sa.Column("last_error", sa.Text(), nullable=True),
            sa.Column("last_error_at", sa.DateTime(), nullable=True),
            sa.Column("failures", sa.Integer(), nullable=False),
            sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
            sa.Column("refused", sa.Boolean(), nullable=False),
            sa.Column("clock_offset_s", sa.Float(), nullable=True),
            sa.Column("phone_cursor", sa.String(64), nullable=True),
            sa.Column("phone_pulled_at", sa.DateTime(), nullable=True),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_status")),
        )
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO sync_status (id, failures, refused) VALUES (1, 0, 0)"
    )
    conn.exec_driver_sql(
        f"CREATE INDEX IF NOT EXISTS ix_responses_unsent ON responses (seq) WHERE {UNSENT_WHERE}"
    )


def downgrade() -> None:
    op.drop_index("ix_responses_unsent", table_name="responses")
    op.drop_table("sync_status")
    op.drop_index(op.f("ix_sync_batches_at"), table_name="sync_batches")
    op.drop_table("sync_batches")
