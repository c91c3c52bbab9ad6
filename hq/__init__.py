"""The HQ collector: takes every store's batches exactly once, serves the phone survey pages,
the analyst API and dashboard, and the ``nps-hq`` CLI. Imports core only (tests/test_layering.py).

Exceptions (all derive from :class:`hq.errors.HqError`; each message says what to do next)::

    HqError
    ├── ConfigError           the database URL, data folder or server key cannot be used
    ├── NotFound              no such store, device, token or analyst
    ├── AlreadyExists         a store, device or analyst with that id exists
    ├── Unauthorized          no, wrong or revoked credentials (HTTP 401)
    │   └── SignInRequired        a page asked for without signing in (HTTP 303 to /login)
    ├── Forbidden             valid credentials that may not do this (HTTP 403)
    ├── TooManyAttempts       sign-ins refused for a while (HTTP 429, retry_after)
    ├── EnrollmentError       an enrollment code that is unknown, used or expired
    ├── PhoneLinkError        a phone link that cannot be answered (shown to the customer)
    │   ├── AlreadyAnswered       a single-use link that was used before
    │   └── RateLimited           too many answers through a poster code this hour
    ├── PrivateAddress        a webhook address that is not public (see allow_private_webhooks)
    ├── ImportFailed          a batch file that cannot be imported (bad signature, ...)
    ├── AlertRuleError        an alert rule that cannot be kept (kind, recipient, setting)
    └── DeliveryError         an alert message not sent this time (the outbox retries it)
"""

from __future__ import annotations

__version__ = "0.1.0"
