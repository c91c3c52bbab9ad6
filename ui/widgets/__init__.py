"""Reusable survey widgets: on-screen keyboard, reason chips, comment box, banner, hot-spot."""
