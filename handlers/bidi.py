"""People's text isolated from the line around it (see bot/bidi.py), for the handlers."""

from __future__ import annotations

from bot.bidi import balanced, isolate

__all__ = ["balanced", "isolate"]
