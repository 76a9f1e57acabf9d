"""`python -m bot digest --provider ID --preview`: a provider's digest of the period so far,
on the terminal, with its chart and CSV written to a folder."""

from __future__ import annotations

import asyncio
import html
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot import evidence
from bot.asks import ask_lines
from bot.config import ConfigError, load_deployment, load_settings
from bot.digest_content import Period, build_csv, build_digest
from bot.digests import Digests
from nlp.taxonomy import broad_of, load_taxonomy
from storage.db import utcnow
from storage.engines import database_for


def plain(text: str) -> str:
    """A Telegram HTML message as plain text for a terminal."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


@dataclass(frozen=True)
class Preview:
    """What a provider's digest of the period so far would be: text, chart and CSV."""

    text: str
    chart: bytes | None
    table: bytes
    start: datetime


def preview_digest(provider_id: str, folder: str | None, chart_path: str | None = None) -> int:
    """Print the digest of the period so far; write its chart and CSV to `folder` (default:
    a new temporary folder); say where they went. Returns the exit code."""
    preview = asyncio.run(build_preview(provider_id))
    print(preview.text)
    # Like `report`: a fresh temporary folder unless told where, so nothing is overwritten.
    out = Path(folder or tempfile.mkdtemp(prefix=f"yousaid-digest-{provider_id}-"))
    out.mkdir(parents=True, exist_ok=True)
    table = out / f"{provider_id}-{preview.start:%Y%m%d}.csv"
    table.write_bytes(preview.table)
    print()
    if preview.chart:
        chart = (
            Path(chart_path) if chart_path else out / f"{provider_id}-{preview.start:%Y%m%d}.png"
        )
        chart.write_bytes(preview.chart)
        print(f"Chart: {chart.resolve()}")
    else:
        print("Chart: none (no themes in this period or the one before)")
    print(f"CSV: {table.resolve()}")
    return 0


async def build_preview(provider_id: str) -> Preview:
    """The digest of the period so far, as plain text, its chart and its CSV."""
    settings = load_settings()
    deployment = load_deployment(settings.config_path)
    provider = next((p for p in deployment.providers if p.id == provider_id), None)
    if provider is None:
        known = ", ".join(p.id for p in deployment.providers)
        raise ConfigError(f"no provider {provider_id!r} in {settings.config_path} (known: {known})")
    if not settings.on_postgres and not settings.database_path.exists():
        raise ConfigError(
            f"no database at {settings.database_path}: run the bot (or the demo) first"
        )
    taxonomy = load_taxonomy()
    labels = {theme_id: theme.label for theme_id, theme in taxonomy.items()}
    # A sub-theme names its broad theme (taxonomies without sub-themes have none).
    broad = broad_of(taxonomy)
    async with database_for(settings.database_url) as db:
        digests = Digests(db, deployment, utcnow)
        start, end = digests.current_period(provider)
        services = await digests.all_services(provider.id)
        digest = await build_digest(
            db,
            provider=provider,
            services=services,
            period=Period(start, end),
            labels=labels,
            broad=broad,
            sites=digests.site_names(deployment.default_language),
            timezone=provider.timezone,
            notes=[
                await evidence.recent_lines(db, services, end, broad=broad),
                await ask_lines(db, services, start, end),
            ],
        )
        table = await build_csv(
            db,
            services=services,
            period=Period(start, end),
            labels=labels,
            timezone=provider.timezone,
        )
    return Preview(plain(digest.text), digest.chart_png, table, start)
