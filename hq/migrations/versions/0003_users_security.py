"""Users with roles and scopes, server-side sessions, login throttling, the audit log and
per-store poster revocation.

Existing analysts become ``owner`` (everything, including users) so that nobody loses access;
an owner can lower them with ``nps-hq users role NAME ROLE``. Their password counts as changed
when the account was made.

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("analysts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=16), server_default="owner", nullable=False)
        )
        batch_op.add_column(
            sa.Column("contact", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(
            "role_known", "role IN ('owner', 'admin', 'analyst', 'viewer')"
        )
    op.execute("UPDATE analysts SET password_changed_at = created_at")
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("posters_not_before", sa.DateTime(), nullable=True))
    op.create_table(
        "user_groups",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["username"], ["analysts.username"], name=op.f("fk_user_groups_username_analysts")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["store_groups.group_id"],
            name=op.f("fk_user_groups_group_id_store_groups"),
        ),
        sa.PrimaryKeyConstraint("username", "group_id", name=op.f("pk_user_groups")),
    )
    with op.batch_alter_table("user_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_groups_group_id"), ["group_id"], unique=False)
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["username"], ["analysts.username"], name=op.f("fk_sessions_username_analysts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_username"), ["username"], unique=False)
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failures")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)


def downgrade() -> None:
    for table in ("audit_log", "login_failures", "sessions", "user_groups"):
        op.drop_table(table)
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_column("posters_not_before")
    with op.batch_alter_table("analysts", schema=None) as batch_op:
        batch_op.drop_constraint("ck_analysts_role_known", type_="check")
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("disabled_at")
        batch_op.drop_column("contact")
        batch_op.drop_column("role")
