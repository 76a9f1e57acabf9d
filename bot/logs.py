"""Logging for the bot: one format, and the bot token scrubbed from every record.

The token is the bot's password, and it is part of every Bot API URL, so any library that
puts a URL in a message or an exception (aiohttp does, on redirects) would write it to the
log. Scrubbing happens where records are made, so it holds for every logger and handler,
the exception text included, whatever the level.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# A Bot API URL's token: "bot<digits>:<secret>" (also URL-encoded, ":" as "%3A").
_URL_TOKEN = re.compile(r"(bot\d+)(?::|%3A)[A-Za-z0-9_-]+", re.IGNORECASE)
HIDDEN = "[token]"

_secrets: set[str] = set()
_installed = False


def scrub(text: str) -> str:
    """The text with the bot token (and any token in a Bot API URL) hidden."""
    for secret in _secrets:
        text = text.replace(secret, HIDDEN)
    return _URL_TOKEN.sub(rf"\1:{HIDDEN}", text)


def _secret_parts(token: str) -> set[str]:
    # The part after the colon is the secret; the id before it is public (and kept, so a
    # log still says which bot).
    _, _, secret = token.partition(":")
    return {part for part in (secret or token,) if len(part) >= 4}


class TokenFilter(logging.Filter):
    """Rewrites a record so that its message, arguments and exception text hold no token."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record in place; keep it."""
        scrub_record(record)
        return True


def scrub_record(record: logging.LogRecord) -> None:
    """Replace the record's message by its scrubbed text, exception text included."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError, KeyError):
        # A malformed call: logging reports it when it formats; keep the raw text only.
        message = f"{record.msg} {record.args!r}"
    record.msg, record.args = scrub(message), None
    if record.exc_info and record.exc_info[0] is not None:
        if not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        # Formatters use this cached text rather than render the exception again.
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)


def hide_token(token: str) -> None:
    """Scrub `token` from every log record made from now on, by any logger (idempotent)."""
    global _installed
    _secrets.update(_secret_parts(token))
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        scrub_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def setup(level: str, token: str | None = None) -> None:
    """The process's logging: one line per record on stderr, the token never shown."""
    if token:
        hide_token(token)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, TokenFilter) for f in handler.filters):
            handler.addFilter(TokenFilter())
    # Routine work that libraries log at INFO is DEBUG for an operator: httpx a line per
    # request, APScheduler a line per job added at start and two for every run of every job
    # (several a minute, whether anything happened or not). Shown only at DEBUG; their
    # warnings and errors still show at INFO.
    numeric = logging.getLevelNamesMapping()[level]
    routine = logging.DEBUG if numeric <= logging.DEBUG else max(numeric, logging.WARNING)
    for name in ("httpx", "apscheduler"):
        logging.getLogger(name).setLevel(routine)
