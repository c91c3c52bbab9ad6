"""The sync package's exception tree (each message says what to do next)::

SyncError
├── ProtocolError         a message does not follow protocol v1
└── BatchFileError        a batch file cannot be read (not JSON, wrong format or version)
    └── BadBatchSignature     its signature does not match the content or the device secret
"""

from __future__ import annotations


class SyncError(Exception):
    """Root of every error the sync package raises on purpose."""


class ProtocolError(SyncError, ValueError):
    """A message does not follow protocol v1; the message says which part and what is allowed."""


class BatchFileError(SyncError):
    """A batch file cannot be read: not JSON, not a batch file, or a different format version."""


class BadBatchSignature(BatchFileError):
    """A batch file's signature does not match its content or the device's secret."""
