"""Every string a person reads, in the language of whoever reads it.

The English words are in handlers/english.py; `texts.NAME` gives them in the language
spoken now (bot/i18n.py), from the catalogues in bot/locales/. Texts are sent as HTML:
anything that comes from people or the deployment file is escaped with `esc` first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.i18n import translated
from handlers.english import esc

if TYPE_CHECKING:
    from handlers.english import *  # noqa: F403  (what type checkers see: the English)

__all__ = ["esc"]


def __getattr__(name: str) -> Any:
    return translated(name)
