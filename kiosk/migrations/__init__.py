"""Alembic migrations of the kiosk database (run by kiosk.db.open_database)."""

# The newest revision. Start-up compares the file's revision with this and imports Alembic
# (11 MB, 100 ms) only when they differ; tests/kiosk/test_db.py fails if a new migration is
# added without moving this.
HEAD = "0008_case_sync"
