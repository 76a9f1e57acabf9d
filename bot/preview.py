"""`python -m bot digest --provider ID --preview`: a provider's digest, on the terminal."""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

from bot import evidence
from bot.asks import ask_lines
from bot.config import ConfigError, load_deployment, load_settings
from bot.digest_content import Period, build_digest
from bot.digests import Digests
from nlp.taxonomy import load_taxonomy
from storage.db import Database, utcnow


def plain(text: str) -> str:
    """A Telegram HTML message as plain text for a terminal."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def preview_digest(provider_id: str, chart_path: str | None) -> int:
    """Print the digest of the period so far and write its chart; return the exit code."""
    text, chart = asyncio.run(build_preview(provider_id))
    print(text)
    if chart:
        path = Path(chart_path or f"digest-{provider_id}.png")
        path.write_bytes(chart)
        print(f"\nChart: {path.resolve()}")
    return 0


async def build_preview(provider_id: str) -> tuple[str, bytes | None]:
    """The digest of the period so far, as plain text, and its chart."""
    settings = load_settings()
    deployment = load_deployment(settings.config_path)
    provider = next((p for p in deployment.providers if p.id == provider_id), None)
    if provider is None:
        known = ", ".join(p.id for p in deployment.providers)
        raise ConfigError(f"no provider {provider_id!r} in {settings.config_path} (known: {known})")
    if not settings.database_path.exists():
        raise ConfigError(
            f"no database at {settings.database_path}: run the bot (or the demo) first"
        )
    labels = {theme_id: theme.label for theme_id, theme in load_taxonomy().items()}
    async with Database(settings.database_path) as db:
        digests = Digests(db, deployment, utcnow)
        start, end = digests.current_period(provider)
        services = await digests.all_services(provider.id)
        digest = await build_digest(
            db,
            provider=provider,
            services=services,
            period=Period(start, end),
            labels=labels,
            timezone=provider.timezone,
            notes=[
                await evidence.recent_lines(db, services, end),
                await ask_lines(db, services, start, end),
            ],
        )
    return plain(digest.text), digest.chart_png
