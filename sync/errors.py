"""The sync package's exception tree (each message says what to do next). Malformed messages
and batch files raise core.errors (ProtocolError, BatchFileError, BadBatchSignature)::

SyncError
└── HqRequestError        talking to HQ did not work (sync.client)
    ├── HqUnreachable         no answer: no network, refused, timed out, TLS failed
    ├── HqBusy                5xx or 429: HQ asks to come back later (retry_after, if given)
    ├── DeviceRefused         401/403: HQ refused this device's token; enroll it again
    ├── EnrollmentFailed      the enrollment code was refused (unknown, used or expired)
    ├── HqRejected            another 4xx: HQ refused the request itself (says why)
    │   └── InsecureHqAddress     http:// to a host that is not this machine, not allowed
    └── BadReply              HQ's answer is not protocol v1
"""

from __future__ import annotations


class SyncError(Exception):
    """Root of every error the sync package raises on purpose."""


class HqRequestError(SyncError):
    """Talking to HQ did not work; the message says what happened in plain words."""


class HqUnreachable(HqRequestError):
    """No answer from HQ: no network, connection refused or dropped, a timeout, or TLS failed."""


class HqBusy(HqRequestError):
    """HQ answered 5xx or 429; ``retry_after`` is its Retry-After in seconds, if it gave one."""

    def __init__(self, message: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class DeviceRefused(HqRequestError):
    """HQ refused this device's token (401, or 403 for another store): enroll it again."""


class EnrollmentFailed(HqRequestError):
    """HQ refused the enrollment code: unknown, already used or expired."""


class HqRejected(HqRequestError):
    """HQ refused the request itself (another 4xx); resending it unchanged will not help."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class InsecureHqAddress(HqRejected):
    """The HQ address is http:// to another machine: the device token and secret would cross
    the network in clear. Use https://, or allow it explicitly on a closed test network."""


class BadReply(HqRequestError):
    """HQ's answer does not follow protocol v1 (or the address is not an HQ)."""
