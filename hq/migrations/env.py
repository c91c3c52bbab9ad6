"""Alembic environment of HQ's database: run by hq.db.open_database with a live connection."""

from __future__ import annotations

from alembic import context

from hq.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "Run HQ migrations through hq.db.open_database (nps-hq serve does it), "
        "which passes a connection; the alembic CLI is not wired for HQ."
    )

# render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True
)
with context.begin_transaction():
    context.run_migrations()
