"""The kiosk package's exception tree (listed in kiosk/__init__.py)."""

from __future__ import annotations

from core.said import Said


class KioskError(Exception):
    """Root of every error the kiosk domain raises on purpose."""


class SettingError(KioskError, ValueError):
    """A setting value is not allowed; the message names the setting and what is allowed.

    ``problem`` is a :class:`core.said.Said` where it has been marked for translation: the admin
    view and the CLI show the whole message in the manager's language."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(Said("Setting '{key}': {problem}", key=key, problem=problem))
        self.key = key
        self.problem = problem


class DatabaseError(KioskError):
    """The database cannot be opened or migrated."""


class DatabaseLocationError(DatabaseError):
    """The folder for the database cannot be created or written."""


class RecordingError(KioskError):
    """A response could not be recorded or updated."""


class StorageFull(RecordingError):
    """The disk holding the database is full: nothing was stored, nothing stored was lost."""

    def __init__(self, message: str, *, cause: str) -> None:
        super().__init__(message)
        self.cause = cause  # SQLite's or the OS's own words, for the admin view


class InvalidScore(RecordingError, ValueError):
    """A score outside 0-10."""


class ResponseNotFound(RecordingError, LookupError):
    """No response with that id."""


class PinError(KioskError, ValueError):
    """The admin PIN is malformed."""
