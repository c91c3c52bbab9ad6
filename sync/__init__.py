"""Kiosk-to-HQ sync: the wire protocol, the HQ client, the outbox drain. Imports kiosk, never ui.

Nothing here yet: the protocol and client arrive with the HQ collector and kiosk sync issues.
"""

from __future__ import annotations
