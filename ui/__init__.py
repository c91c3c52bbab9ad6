"""The kiosk's PySide6 front end: survey screens, PIN gate, theme. Holds no SQL, no business rules."""
