"""Follow-up cases travel both ways with HQ: who changed a case, when, and what HQ has not taken.

Revision ID: 0008_case_sync
Revises: 0007
Create Date: 2026-11-29

- ``followup_cases.changed_by`` / ``changed_at``: who last set the case's state or note and when
  (UTC): "store manager (<device>)" for this kiosk's manager, an HQ user (or another kiosk of the
  store) for a change pulled from HQ. Last writer wins by ``changed_at``. Unlike ``updated_at``
  (any write, an erasure's scrub included) it moves only with a person's change.
- ``followup_cases.changed_from``: 'kiosk' (made here) or 'hq' (pulled from HQ).
- ``followup_cases.hq_pending``: 0 when HQ has taken the kiosk's copy (or there is nothing to
  send); otherwise a count bumped by every change here, so that a batch reply clears it only if
  the case was not changed again while the batch was in flight. ``hq_sent_at``: when it last
  went out (a cases-only batch resends at most every 10 minutes).
- ``followup_cases.hq_superseded``: this kiosk's change (JSON state, by, at; never the note)
  that HQ had not taken when a later change from HQ replaced it; still sent, so that HQ's audit
  has both changes too.
- ``sync_status.case_cursor`` / ``cases_pulled_at``: where the pull of HQ's case changes
  (``GET /api/v1/cases``) stopped; NULL: from the start.

Cases the manager changed before this release keep their state and note, are attributed to
"store manager" at their ``updated_at``, and are marked for HQ, so that HQ learns them with the
first batch after the upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_case_sync"
down_revision = "0007"
branch_labels = None
depends_on = None


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    # Plain ADD COLUMNs (no table rebuild).
    cases = _columns("followup_cases")
    if "changed_by" not in cases:
        op.add_column("followup_cases", sa.Column("changed_by", sa.Text(), nullable=True))
    if "changed_at" not in cases:
        op.add_column("followup_cases", sa.Column("changed_at", sa.DateTime(), nullable=True))
    if "changed_from" not in cases:
        op.add_column("followup_cases", sa.Column("changed_from", sa.String(8), nullable=True))
    if "hq_pending" not in cases:
        op.add_column(
            "followup_cases",
            sa.Column("hq_pending", sa.Integer(), nullable=False, server_default="0"),
        )
    if "hq_sent_at" not in cases:
        op.add_column("followup_cases", sa.Column("hq_sent_at", sa.DateTime(), nullable=True))
    if "hq_superseded" not in cases:
        op.add_column("followup_cases", sa.Column("hq_superseded", sa.Text(), nullable=True))
    status = _columns("sync_status")
    if "case_cursor" not in status:
        op.add_column("sync_status", sa.Column("case_cursor", sa.String(64), nullable=True))
    if "cases_pulled_at" not in status:
        op.add_column("sync_status", sa.Column("cases_pulled_at", sa.DateTime(), nullable=True))
    # The manager's earlier changes (a row exists only once the state or note was set; an
    # erasure alone makes an 'open' row without a note, which is no change to send).
    op.execute(
        "UPDATE followup_cases SET changed_by = 'store manager', changed_at = updated_at, "
        "changed_from = 'kiosk', hq_pending = 1 "
        "WHERE changed_at IS NULL AND (state != 'open' OR note IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("sync_status") as batch:
        batch.drop_column("cases_pulled_at")
        batch.drop_column("case_cursor")
    with op.batch_alter_table("followup_cases") as batch:
        batch.drop_column("hq_superseded")
        batch.drop_column("hq_sent_at")
        batch.drop_column("hq_pending")
        batch.drop_column("changed_from")
        batch.drop_column("changed_at")
        batch.drop_column("changed_by")
