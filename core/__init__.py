"""What the kiosk and HQ both need, with no Qt and neither side's storage.

- :mod:`core.nps` the NPS rules (categories, score, adjusted-Wald interval, formatting)
- :mod:`core.ids` UUIDv7 response ids
- :mod:`core.text` text cleaning and the limits every end enforces
- :mod:`core.mobile_token` signed phone-survey links (made offline on the kiosk, checked at HQ)
- :mod:`core.protocol` the wire schemas of the sync protocol and batch files
- :mod:`core.sqlite` the SQLite tuning both databases use
- :mod:`core.survey_texts` the default survey texts, the languages and their scripts
- :mod:`core.i18n` the gettext catalogs of every domain (core/locale)
- :mod:`core.cli_i18n` the command lines' texts (domain cli) in the terminal's language
- :mod:`core.said` error texts raised in English with a message id, translated where shown
- :mod:`core.assets` where the shipped assets (fonts, style sheets, catalogs) are

The exception tree (each message says what to do next)::

    CoreError
    ├── ProtocolError         a message does not follow the sync protocol
    ├── BatchFileError        a batch file cannot be read (not JSON, wrong format or version)
    │   └── BadBatchSignature     its signature does not match the content or the device secret
    ├── CatalogMissing        a language's compiled catalog is missing or unreadable
    └── TokenError            a phone-link token cannot be accepted (core.mobile_token)
        ├── TokenMalformed, TokenUnknownDevice, TokenBadSignature, TokenExpired

See ARCHITECTURE.md for the arrows: kiosk, sync, ui and hq may import core; core imports none
of them.
"""
