"""Privacy: tombstones of erased responses (``erasures``, also the queue kiosks pull by store)
and ``responses.scrubbed_at`` (when an erasure or the retention purge scrubbed the row).

No personal data moves: existing responses keep their contact details until an erasure or the
first purge (hq.privacy).

Revision ID: 0006_privacy
Revises: 0005_rollups
Create Date: 2027-03-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_privacy"
down_revision = "0005_rollups"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scrubbed_at", sa.DateTime(), nullable=True))
    op.create_table(
        "erasures",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("response_id", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.CheckConstraint("source IN ('hq', 'device')", name=op.f("ck_erasures_source_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
        sa.UniqueConstraint("response_id", name=op.f("uq_erasures_response_id")),
    )
    op.create_index(op.f("ix_erasures_request_id"), "erasures", ["request_id"], unique=False)
    op.create_index("ix_erasures_store_cursor", "erasures", ["store_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_erasures_store_cursor", table_name="erasures")
    op.drop_index(op.f("ix_erasures_request_id"), table_name="erasures")
    op.drop_table("erasures")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("scrubbed_at")
