"""The HQ package's exception tree (listed in hq/__init__.py)."""

from __future__ import annotations


class HqError(Exception):
    """Root of every error HQ raises on purpose."""


class ConfigError(HqError):
    """The database URL, data folder or server key cannot be used."""


class NotFound(HqError, LookupError):
    """A store, device, token or analyst that does not exist."""


class AlreadyExists(HqError):
    """A store, device or analyst with that id already exists."""


class Unauthorized(HqError):
    """No credentials, wrong ones, or revoked ones (HTTP 401)."""


class SignInRequired(Unauthorized):
    """A page asked for by a browser that is not signed in (HTTP 303 to /login)."""


class Forbidden(HqError):
    """Valid credentials that may not do this, e.g. a device writing to another store (403)."""


class TooManyAttempts(HqError):
    """Sign-ins refused for a while: too many failures, or too many at once (HTTP 429)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EnrollmentError(HqError):
    """An enrollment code that is unknown, used or expired."""


class PhoneLinkError(HqError):
    """A phone survey link that cannot be answered (its message is shown to the customer).

    ``kind`` is what the page shows: invalid, expired, replaced (a revoked poster), already,
    limited or form.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class AlreadyAnswered(PhoneLinkError):
    """A single-use link whose nonce was used before."""


class RateLimited(PhoneLinkError):
    """Too many answers from one client through a poster code in this hour."""


class PrivateAddress(HqError):
    """A webhook address that is not public (loopback, private, link-local, ...) while HQ
    is not allowed to post inside its own network."""


class ImportFailed(HqError):
    """A batch file that cannot be imported (unreadable, bad signature, unknown device)."""


class AlertRuleError(HqError):
    """An alert rule that cannot be kept (unknown kind, no recipient, bad setting)."""


class DeliveryError(HqError):
    """An alert that could not be sent this time (the outbox retries it later)."""
