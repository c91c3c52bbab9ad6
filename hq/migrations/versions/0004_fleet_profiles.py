"""Protocol v2 and store profiles: the survey version of each response, each device's last
health report, profile settings per chain/group/store, store profile versions, published
survey versions (with the built-in "Default" as id 1) and survey drafts.

Existing responses keep survey_version NULL (v1 answers); existing stores get version 1 of
their profile when first asked.

Revision ID: 0004
Revises: 0003
Create Date: 2027-02-01
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _default_survey() -> dict[str, object]:
    from core.survey_texts import (
        DEFAULT_SURVEY_ID,
        DEFAULT_SURVEY_LANGUAGES,
        DEFAULT_SURVEY_NAME,
        default_survey_texts,
    )

    return {
        "id": DEFAULT_SURVEY_ID,
        "form": "default",
        "name": DEFAULT_SURVEY_NAME,
        "languages": json.dumps(list(DEFAULT_SURVEY_LANGUAGES)),
        "texts": json.dumps(default_survey_texts(), ensure_ascii=False, sort_keys=True),
        "published_at": sa.func.current_timestamp(),
        "published_by": "system",
    }


def upgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("survey_version", sa.Integer(), nullable=True))
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("health", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("health_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("profile_version", sa.Integer(), nullable=True))
    op.create_table(
        "profile_settings",
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("scope_id", sa.String(length=64), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "scope IN ('chain', 'group', 'store')", name=op.f("ck_profile_settings_scope_known")
        ),
        sa.PrimaryKeyConstraint("scope", "scope_id", name=op.f("pk_profile_settings")),
    )
    op.create_table(
        "store_profile_versions",
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.store_id"],
            name=op.f("fk_store_profile_versions_store_id_stores"),
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_store_profile_versions")),
    )
    surveys = op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("form", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("languages", sa.Text(), nullable=False),
        sa.Column("texts", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_form"), ["form"], unique=False)
    op.create_table(
        "survey_drafts",
        sa.Column("form", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("languages", sa.Text(), nullable=False),
        sa.Column("texts", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("form", name=op.f("pk_survey_drafts")),
    )
    assert surveys is not None
    op.execute(sa.insert(surveys).values(**_default_survey()))


def downgrade() -> None:
    for table in ("survey_drafts", "surveys", "store_profile_versions", "profile_settings"):
        op.drop_table(table)
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("profile_version")
        batch_op.drop_column("health_at")
        batch_op.drop_column("health")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("survey_version")
