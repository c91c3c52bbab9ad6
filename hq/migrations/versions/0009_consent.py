"""The consent wording each customer agreed to: ``responses.consent_text`` (the contact
opt-in's text exactly as the kiosk showed it, sent by a protocol v2 kiosk with each consent).
Existing rows keep NULL: HQ shows their survey version's consent wording in the answer's
language when they have one (hq.privacy.agreed_to), else says the wording was not recorded.

Revision ID: 0009_consent
Revises: 0008_cases
Create Date: 2027-03-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_consent"
down_revision = "0008_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("consent_text")
