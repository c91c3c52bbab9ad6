"""Corrected answer times: ``responses.corrected_time`` (the device time shifted by the
device's clock offset as HQ measured it at upload; what every figure uses) and
``responses.clock_corrected`` (the clock was off by more than 5 minutes); per device, the clock
as measured at its last upload (``devices.last_sent_at``, ``clock_offset_s``,
``newest_answer_at``). See hq/device_clock.py.

Existing rows get ``corrected_time = device_time`` (no offset was measured for them), so the
rollups, which count by the same instant, need no rebuild.

Revision ID: 0007_corrected_time
Revises: 0006_privacy
Create Date: 2027-03-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_corrected_time"
down_revision = "0006_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrected_time", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("clock_corrected", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute("UPDATE responses SET corrected_time = device_time")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.alter_column("corrected_time", existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_index("ix_responses_device_time")
        batch_op.create_index("ix_responses_corrected_time", ["corrected_time"], unique=False)
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_sent_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("clock_offset_s", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("newest_answer_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("newest_answer_at")
        batch_op.drop_column("clock_offset_s")
        batch_op.drop_column("last_sent_at")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_corrected_time")
        batch_op.create_index("ix_responses_device_time", ["device_time"], unique=False)
        batch_op.drop_column("clock_corrected")
        batch_op.drop_column("corrected_time")
