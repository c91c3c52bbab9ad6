"""Kiosk-to-HQ sync: the wire protocol, the HQ client, the outbox drain, batch files.
Imports kiosk, never ui and never Qt.

- ``core.protocol``   protocol v1 (pydantic), content hashes, signed batch files
- ``sync.client``     HqClient: one requests.Session, timeouts, TLS verified, User-Agent
- ``sync.outbox``     Outbox (drain with full-jitter backoff, 401 stop), enrollment, phone pull
- ``sync.batchfiles`` export_batches for stores with no network (``nps-kiosk export-batches``)
- ``sync.cli``        the enroll, sync and export-batches commands of ``nps-kiosk``

Exceptions (all derive from :class:`sync.errors.SyncError`; each message says what to do)::

    SyncError
    ├── ProtocolError         a message does not follow protocol v1
    ├── BatchFileError        a batch file cannot be read (not JSON, wrong format or version)
    │   └── BadBatchSignature     its signature does not match the content or the device secret
    └── HqRequestError        talking to HQ did not work
        ├── HqUnreachable         no answer: no network, refused, timed out, TLS failed
        ├── HqBusy                5xx or 429; ``retry_after`` in seconds when HQ gave one
        ├── DeviceRefused         401/403: HQ refused this device's token; enroll it again
        ├── EnrollmentFailed      the enrollment code was refused (unknown, used or expired)
        ├── HqRejected            another 4xx: HQ refused the request itself
        └── BadReply              HQ's answer is not protocol v1
"""

from __future__ import annotations
