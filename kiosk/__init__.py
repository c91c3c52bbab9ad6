"""Domain and storage of the NPS kiosk: settings, responses, NPS math, recording. No Qt, no HTTP.

Exceptions (all derive from :class:`kiosk.errors.KioskError`; each message says what to do next)::

    KioskError
    ├── SettingError          a setting value is not allowed (names the setting and what is)
    ├── DatabaseError         the database cannot be opened or migrated
    │   └── DatabaseLocationError   the folder for the database cannot be created or written
    ├── RecordingError        a response could not be recorded or updated
    │   ├── StorageFull             the disk is full: nothing was stored (free space, it resumes)
    │   ├── InvalidScore            a score outside 0-10
    │   └── ResponseNotFound        no response with that id
    ├── PinError              the admin PIN is malformed (4-8 digits)
    ├── CaseError             a follow-up case cannot move that way (kiosk.followups)
    ├── ExportError           an export folder cannot be written (kiosk.export)
    ├── SeedError             a seed request is out of range (kiosk.seed)
    ├── CredentialsError      the device credentials file is unreadable (kiosk.credentials)
    │   └── NotEnrolled             the kiosk has not been enrolled at HQ yet
    └── TokenError            a phone-link token is refused (core.mobile_token)
        ├── TokenMalformed          not a token at all
        ├── TokenUnknownDevice      signed by a device HQ does not know
        ├── TokenBadSignature       the signature does not match
        └── TokenExpired            older than its lifetime
"""

from __future__ import annotations

__version__ = "0.1.0"
