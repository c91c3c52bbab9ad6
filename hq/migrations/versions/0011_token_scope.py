"""API tokens with a scope: ``api_tokens.contact`` (the token may read customers' contact
details, granted by an owner) and ``api_tokens.groups`` (a JSON list of store groups: the token
reads only their stores, as a viewer does; NULL for every store). Existing tokens keep what
they had: every store, no contact details.

Revision ID: 0011_token_scope
Revises: 0010_coarse_rollups
Create Date: 2027-03-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_token_scope"
down_revision = "0010_coarse_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("groups", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("groups")
        batch_op.drop_column("contact")
