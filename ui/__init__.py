"""The kiosk's PySide6 front end: survey screens, PIN gate, admin view, theme. No SQL here."""
