"""Privacy and the closed loop on the kiosk: erasures travel both ways, retention, consent text.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

- ``erasure_queue``: response ids erased on this kiosk ("Forget this customer") that HQ has not
  confirmed yet (a v2 batch's ``erasures``, cleared when a reply lists them in ``erased``).
- ``sync_status.erasure_cursor`` / ``erasures_pulled_at``: where the pull of HQ's erasures
  (``GET /api/v1/erasures``) stopped; NULL: from the start.
- ``followup_cases.resolved_at``: when the case was last resolved (the retention clock of its
  contact details); existing resolved cases take their ``updated_at``.
- ``responses.consent_text``: the exact contact opt-in wording the customer ticked (NULL without
  consent, and for every answer recorded before).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    # Plain ADD COLUMNs (no table rebuild): the triggers and indexes on responses stay.
    if "consent_text" not in _columns("responses"):
        op.add_column("responses", sa.Column("consent_text", sa.Text(), nullable=True))
    status = _columns("sync_status")
    if "erasure_cursor" not in status:
        op.add_column("sync_status", sa.Column("erasure_cursor", sa.String(64), nullable=True))
    if "erasures_pulled_at" not in status:
        op.add_column("sync_status", sa.Column("erasures_pulled_at", sa.DateTime(), nullable=True))
    if "resolved_at" not in _columns("followup_cases"):
        op.add_column("followup_cases", sa.Column("resolved_at", sa.DateTime(), nullable=True))
        op.execute("UPDATE followup_cases SET resolved_at = updated_at WHERE state = 'resolved'")
    if not sa.inspect(op.get_bind()).has_table("erasure_queue"):
        op.create_table(
            "erasure_queue",
            sa.Column("response_id", sa.String(36), primary_key=True),
            sa.Column("queued_at", sa.DateTime(), nullable=False),
            sa.Column("last_sent_at", sa.DateTime(), nullable=True),
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        )


def downgrade() -> None:
    op.drop_table("erasure_queue")
    with op.batch_alter_table("followup_cases") as batch:
        batch.drop_column("resolved_at")
    with op.batch_alter_table("sync_status") as batch:
        batch.drop_column("erasures_pulled_at")
        batch.drop_column("erasure_cursor")
    op.drop_column("responses", "consent_text")
