"""Alembic environment of the kiosk database: always run by kiosk.db with a live connection."""

from __future__ import annotations

from alembic import context

from kiosk.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "Run kiosk migrations through kiosk.db.open_database, which passes a "
        "connection; the alembic CLI is not wired for the kiosk database."
    )

# render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
