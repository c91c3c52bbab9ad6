"""The core package's exception tree (listed in core/__init__.py)."""

from __future__ import annotations


class CoreError(Exception):
    """Root of every error the shared core raises on purpose."""


class ProtocolError(CoreError, ValueError):
    """A message does not follow the sync protocol; the message says which part and what is
    allowed."""


class BatchFileError(CoreError):
    """A batch file cannot be read: not JSON, not a batch file, or a different format version."""


class BadBatchSignature(BatchFileError):
    """A batch file's signature does not match its content or the device's secret."""


class CatalogMissing(CoreError):
    """A language's compiled catalog (core/locale/<lang>/LC_MESSAGES/kiosk.mo) is missing or
    unreadable; the message names the file and says how to make it."""
