"""The command line: `python -m bot run | health | demo | nlp ...` (also `yousaid`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from telegram.error import InvalidToken, NetworkError

from bot.config import ConfigError, load_deployment, load_settings
from storage.db import DatabaseUnusable

if TYPE_CHECKING:
    from bot.evidence import Evidence


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:2] in (["nlp", "retrain"], ["nlp", "rollback"]):
        # These need the deployment (its database and models), not only the nlp package.
        try:
            return _learning(args[1], args[2:])
        except (ConfigError, DatabaseUnusable) as exc:
            print(f"yousaid: {exc}", file=sys.stderr)
            return 2
        except (OSError, ValueError) as exc:
            # A damaged pointer, a read-only or missing models folder: the model in use is
            # untouched (nothing is promoted before a candidate is saved whole).
            print(f"yousaid: nlp {args[1]}: {_one_line(exc)}", file=sys.stderr)
            return 2
    if args and args[0] == "nlp":
        from nlp.cli import main as nlp_main

        return nlp_main(args[1:])
    parser = argparse.ArgumentParser(prog="yousaid", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot against TELEGRAM_API_URL")
    commands.add_parser(
        "health",
        help="exit 0 if the bot polls (webhook mode: its /healthz says ok) and its database"
        " answers, else 1 (one line)",
    )
    demo = commands.add_parser("demo", help="the whole loop on this machine, no token needed")
    demo.add_argument("--citizens", type=int, default=30, help="how many simulated citizens")
    demo.add_argument("--seed", type=int, default=7, help="seed for the simulated citizens")
    demo.add_argument(
        "--keep", action="store_true", help="keep the database and charts, and say where"
    )
    commands.add_parser(
        "nlp",
        help="the theme model and redaction: train, evaluate, tag, redact (see nlp --help);"
        " retrain and rollback the deployment's model (nlp retrain --help)",
    )
    backup = commands.add_parser(
        "backup", help="a consistent copy of the database, safe while running"
    )
    backup.add_argument("out", help="the file to write (must not exist)")
    restore = commands.add_parser(
        "restore", help="put a backup in place (bot stopped), then replay later erasures"
    )
    restore.add_argument("backup", help="a file `backup` wrote")
    move = commands.add_parser(
        "migrate-db",
        help="copy a SQLite deployment into an empty PostgreSQL database, verified (bot stopped)",
    )
    move.add_argument("--from", dest="source", required=True, help="sqlite:///path/to/yousaid.db")
    move.add_argument(
        "--to", dest="target", required=True, help="postgresql://user@host:port/database"
    )
    digest = commands.add_parser(
        "digest", help="preview a provider's digest of the period so far (the bot sends digests)"
    )
    digest.add_argument("--provider", required=True, help="the provider's id")
    digest.add_argument(
        "--preview", action="store_true", help="print it and write its chart and CSV; send nothing"
    )
    digest.add_argument(
        "--out",
        default="",
        help="folder for the chart and CSV (default: a new temporary folder)",
    )
    digest.add_argument("--chart", default="", help="write the chart here instead (PNG)")
    report = commands.add_parser("report", help="evidence of value: what responses achieved")
    report.add_argument("--from", dest="start", required=True, type=_day, help="YYYY-MM-DD")
    report.add_argument(
        "--to", dest="end", required=True, type=_day, help="YYYY-MM-DD, that day included"
    )
    report.add_argument("--format", choices=("md", "csv"), default="md")
    report.add_argument("--provider", default="", help="only this provider's services")
    report.add_argument("--chart", default="", help="where to write the chart (PNG)")
    report.add_argument("--out", default="", help="where to write the report (default: stdout)")
    options = parser.parse_args(args)
    if options.command == "report" and options.end < options.start:
        parser.error("--to is before --from")
    if options.command == "report" and options.end >= date.max:
        parser.error(f"--to: a day before {date.max.isoformat()}")
    if options.command == "migrate-db":
        if not options.source.startswith("sqlite:///"):
            parser.error("--from: a sqlite:/// URL")
        if not options.target.startswith(("postgresql://", "postgres://", "postgresql+")):
            parser.error("--to: a postgresql:// URL")
    if options.command == "digest" and not options.preview:
        # The running bot sends digests on schedule (and /digest on demand): sending one
        # from here as well would send it twice.
        parser.error("digest only previews (--preview); the running bot sends digests")
    try:
        if options.command == "run":
            return _run()
        if options.command == "health":
            return _health()
        if options.command == "backup":
            return _backup(options.out)
        if options.command == "restore":
            return _restore(options.backup)
        if options.command == "migrate-db":
            return _migrate_db(options.source, options.target)
        if options.command == "digest":
            from bot.preview import preview_digest

            return preview_digest(options.provider, options.out or None, options.chart or None)
        if options.command == "report":
            return _report(options)
        if options.command == "demo":
            from bot.demo import MIN_CITIZENS, run_demo

            if options.citizens < MIN_CITIZENS:
                parser.error(f"--citizens: at least {MIN_CITIZENS}")
            return asyncio.run(
                run_demo(citizens=options.citizens, seed=options.seed, keep=options.keep)
            )
    except (ConfigError, DatabaseUnusable) as exc:
        # A database path that cannot be used is a setting to fix, like any other.
        print(f"yousaid: {exc}", file=sys.stderr)
        return 2
    except (OSError, sqlite3.Error) as exc:
        if options.command not in WRITING:
            raise
        # Where a file was to be written: a folder that is not there, a full disk.
        where = f" {exc.filename}" if isinstance(exc, OSError) and exc.filename else ""
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(f"yousaid: {options.command}: cannot write{where}: {reason}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


# The commands that write files given on the command line.
WRITING = frozenset({"backup", "digest", "report"})


def _backup(out: str) -> int:
    from pathlib import Path

    from storage.db import backup

    settings = load_settings()
    if settings.on_postgres:
        raise ConfigError("on PostgreSQL, back up with pg_dump (see the README)")
    if not settings.on_postgres and not settings.database_path.exists():
        raise ConfigError(f"no database at {settings.database_path} (DATABASE_URL)")
    try:
        backup(settings.database_path, Path(out))
    except FileExistsError as exc:
        raise ConfigError(str(exc)) from None
    print(f"backed up {settings.database_path} to {out}")
    return 0


def _restore(source: str) -> int:
    from pathlib import Path

    from bot.privacy import restore
    from storage.db import DatabaseInUse

    settings = load_settings()
    if settings.on_postgres:
        raise ConfigError("on PostgreSQL, restore with pg_restore (see the README)")
    backup = Path(source)
    if not backup.is_file():
        raise ConfigError(f"no backup at {backup}")
    try:
        done = asyncio.run(restore(backup, settings.database_path))
    except DatabaseInUse as exc:
        print(f"yousaid: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    print(
        f"restored {settings.database_path} from {backup};"
        f" replayed {done.replayed} erasure(s) made since the backup was taken"
    )
    return 0


def _migrate_db(source: str, target: str) -> int:
    """Copy, then one line per table and a verdict; exit 1 with the reason if it failed."""
    from storage.engines import sqlite_path
    from storage.postgres import redacted
    from storage.transfer import CopyFailed, CopyRefused, TableCheck, copy_to_postgres

    def line(check: TableCheck) -> str:
        verdict = "ok" if check.ok else f"MISMATCH (read back {check.target_rows} rows"
        if not check.ok:
            verdict += f", checksum {check.target_sum[:12]})"
        return f"{check.table:<24} {check.source_rows:>10} rows  {check.source_sum[:12]}  {verdict}"

    path = sqlite_path(source)
    try:
        checks = asyncio.run(copy_to_postgres(path, target))
    except CopyRefused as exc:
        print(f"yousaid: migrate-db refused: {exc}", file=sys.stderr)
        return 1
    except CopyFailed as exc:
        for check in exc.checks:
            print(line(check))
        print(f"yousaid: migrate-db failed, nothing was copied: {exc}", file=sys.stderr)
        return 1
    for check in checks:
        print(line(check))
    total = sum(c.source_rows for c in checks)
    print(
        f"copied {total} rows in {len(checks)} tables from {path} to {redacted(target)}:"
        " counts and checksums match"
    )
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (YYYY-MM-DD)") from None


def _report(options: argparse.Namespace) -> int:
    """Evidence of value for whole UTC days [--from, --to]: md or csv, and a chart."""
    import tempfile
    from pathlib import Path

    from bot.digest_content import Period
    from bot.evidence import chart_png, csv_bytes, evidence, markdown
    from nlp.taxonomy import broad_of, load_taxonomy
    from storage.engines import database_for
    from storage.services import ServiceRow

    settings = load_settings()
    deployment = load_deployment(settings.config_path)
    known = [p.id for p in deployment.providers]
    if options.provider and options.provider not in known:
        raise ConfigError(
            f"no provider {options.provider!r} in {settings.config_path}"
            f" (known: {', '.join(known)})"
        )
    if not settings.on_postgres and not settings.database_path.exists():
        raise ConfigError(f"no database at {settings.database_path} (DATABASE_URL)")
    services = [
        ServiceRow(s.slug, s.name, s.description, s.provider)
        for s in deployment.services
        if not options.provider or s.provider == options.provider
    ]
    # --to is inclusive: the period ends at the midnight after it.
    start = datetime.combine(options.start, time(0), UTC)
    period = Period(start, datetime.combine(options.end + timedelta(days=1), time(0), UTC))

    # A 'changed' answer to a broad theme counts for items kept under a sub-theme of it.
    broad = broad_of(load_taxonomy())

    async def read() -> Evidence:
        async with database_for(settings.database_url) as db:
            return await evidence(db, services, period, broad)

    ev = asyncio.run(read())
    body = markdown(ev).encode() if options.format == "md" else csv_bytes(ev)
    if options.out:
        Path(options.out).write_bytes(body)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    chart = options.chart
    if not chart and options.format == "md":
        if options.out:
            chart = str(Path(options.out).with_suffix(".png"))
        else:
            handle, chart = tempfile.mkstemp(prefix="yousaid-report-", suffix=".png")
            os.close(handle)
    if chart:
        names = {p.id: p.name for p in deployment.providers}
        Path(chart).write_bytes(chart_png(ev, provider=names.get(options.provider, "")))
        print(f"Chart: {chart}", file=sys.stderr)
    return 0


def _learning(command: str, argv: list[str]) -> int:
    """`nlp retrain` and `nlp rollback` on the deployment's corrections and models."""
    import json

    from nlp.pipeline import DEFAULT_MODEL
    from nlp.retrain import HELD_OUT_ONE_IN, MIN_HELD_OUT, ModelStore, in_use

    parser = argparse.ArgumentParser(prog=f"yousaid nlp {command}")
    if command == "retrain":
        parser.description = (
            "train a candidate theme model on the shipped data plus the moderators' corrections;"
            " it replaces the model in use only if it scores better on corrections held out"
            " (higher micro F1, macro F1 not lower). Prints JSON."
        )
        parser.add_argument(
            "--min-held-out",
            type=int,
            default=MIN_HELD_OUT,
            help=f"refuse with fewer held-out corrections than this (default {MIN_HELD_OUT})",
        )
        parser.add_argument("--seed", type=int, default=0, help="training seed")
    else:
        parser.description = (
            "go back to the model in use before the current one (the shipped one when none"
            " is left). Prints JSON."
        )
    options = parser.parse_args(argv)
    if command == "retrain" and options.min_held_out < 1:
        parser.error("--min-held-out: at least 1")
    settings = load_settings()
    store = ModelStore(settings.models_path)
    if command == "rollback":
        left = store.current()
        try:
            store.rollback()
        except LookupError as exc:
            print(f"yousaid: {exc}", file=sys.stderr)
            return 1
        # What the bot will load, not merely what the pointer names: a folder named there but
        # gone from disk means the shipped model.
        now = in_use(store)
        current = "shipped" if now == DEFAULT_MODEL else str(now)
        print(json.dumps({"rolled_back": str(left), "current": current}, ensure_ascii=False))
        return 0
    if not settings.on_postgres and not settings.database_path.exists():
        raise ConfigError(f"no database at {settings.database_path} (DATABASE_URL)")

    from bot.learning import corrections
    from nlp.retrain import retrain
    from storage.engines import database_for

    async def read() -> list[object]:
        async with database_for(settings.database_url) as db:
            return await corrections(db)

    found = asyncio.run(read())
    result = retrain(
        found,  # type: ignore[arg-type]
        store,
        min_held_out=options.min_held_out,
        one_in=HELD_OUT_ONE_IN,
        seed=options.seed,
    )
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _one_line(exc: BaseException) -> str:
    """An error as one line for the operator (file errors name the file)."""
    text = str(exc) or exc.__class__.__name__
    return " ".join(text.split())


def _health() -> int:
    from bot.health import check

    settings = load_settings()
    if settings.webhook_url is not None:
        from bot.health import ask_webhook

        host, port = settings.webhook_address
        problem = ask_webhook(host, port)
        if problem is not None:
            print(f"yousaid: {problem}", file=sys.stderr)
            return 1
        print(f"yousaid: the webhook instance on port {port} is alive and its database answers")
        return 0
    if settings.on_postgres:
        from storage.postgres import NOT_SET_UP, redacted, unanswered

        name = redacted(settings.database_url)
        reason = unanswered(settings.database_url, timeout=5)
        if reason == NOT_SET_UP:
            print(f"yousaid: the database {name}: {reason}", file=sys.stderr)
            return 1
        if reason is not None:
            print(f"yousaid: the database {name} does not answer ({reason})", file=sys.stderr)
            return 1
        # Polling keeps its heartbeat in a file beside a SQLite database only.
        print(
            f"yousaid: the database {name} answers; polling on PostgreSQL keeps no heartbeat,"
            " so whether a bot polls is not checked (webhook mode's /healthz says so)"
        )
        return 0
    problem = check(settings.database_path)
    if problem is not None:
        print(f"yousaid: {problem}", file=sys.stderr)
        return 1
    print(f"yousaid: polling is alive and {settings.database_path} is writable")
    return 0


def _run() -> int:
    from bot.app import YousaidBot
    from bot.logs import scrub, setup

    settings = load_settings()
    token = settings.token()
    deployment = load_deployment(settings.deployment_file())
    setup(settings.log_level, token)
    try:
        asyncio.run(YousaidBot(settings, deployment, token).run())
    except InvalidToken:
        raise ConfigError("BOT_TOKEN was refused by Telegram: check it with @BotFather") from None
    except NetworkError as exc:
        raise ConfigError(
            f"could not reach TELEGRAM_API_URL ({settings.telegram_api_url}): {exc}"
        ) from None
    except ConfigError:
        raise
    except DatabaseUnusable as exc:
        # Waiting would not help: stop, so that a supervisor restarts the bot.
        print(f"yousaid: {exc}; stopping", file=sys.stderr)
        return 1
    except Exception as exc:
        # The process boundary: the cause goes to the log, one line to the operator.
        logging.getLogger("bot").error("stopped by an unexpected error", exc_info=exc)
        reason = scrub(f"{exc.__class__.__name__}: {exc}")
        print(f"yousaid: stopped by an unexpected error ({reason}); stopping", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
