"""The command line: `python -m bot run | demo | nlp ...` (also installed as `yousaid`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from telegram.error import InvalidToken, NetworkError

from bot.config import ConfigError, load_deployment, load_settings


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:2] == ["nlp", "redact"]:
        from nlp.redact import cli as redact_cli

        return redact_cli(args[2:])
    if args and args[0] == "nlp":
        from nlp.cli import main as nlp_main

        return nlp_main(args[1:])
    parser = argparse.ArgumentParser(prog="yousaid", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot against TELEGRAM_API_URL")
    demo = commands.add_parser("demo", help="the whole loop on this machine, no token needed")
    demo.add_argument("--citizens", type=int, default=30, help="how many simulated citizens")
    demo.add_argument("--seed", type=int, default=7, help="seed for the simulated citizens")
    commands.add_parser("nlp", help="train, evaluate and tag with the theme model")
    backup = commands.add_parser(
        "backup", help="a consistent copy of the database, safe while running"
    )
    backup.add_argument("out", help="the file to write (must not exist)")
    digest = commands.add_parser("digest", help="a provider's digest of the period so far")
    digest.add_argument("--provider", required=True, help="the provider's id")
    digest.add_argument("--preview", action="store_true", help="print it; send nothing")
    digest.add_argument("--chart", default="", help="where to write the chart (PNG)")
    options = parser.parse_args(args)
    try:
        if options.command == "run":
            return _run()
        if options.command == "backup":
            return _backup(options.out)
        if options.command == "digest":
            from bot.preview import preview_digest

            return preview_digest(options.provider, options.chart or None)
        if options.command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(citizens=options.citizens, seed=options.seed))
    except ConfigError as exc:
        print(f"yousaid: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def _backup(out: str) -> int:
    from pathlib import Path

    from storage.db import backup

    settings = load_settings()
    if not settings.database_path.exists():
        raise ConfigError(f"no database at {settings.database_path} (DATABASE_URL)")
    try:
        backup(settings.database_path, Path(out))
    except FileExistsError as exc:
        raise ConfigError(str(exc)) from None
    print(f"backed up {settings.database_path} to {out}")
    return 0


def _run() -> int:
    from bot.app import YousaidBot

    settings = load_settings()
    token = settings.token()
    deployment = load_deployment(settings.config_path)
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request at INFO: too much for an operator.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        asyncio.run(YousaidBot(settings, deployment, token).run())
    except InvalidToken:
        raise ConfigError("BOT_TOKEN was refused by Telegram: check it with @BotFather") from None
    except NetworkError as exc:
        raise ConfigError(
            f"could not reach TELEGRAM_API_URL ({settings.telegram_api_url}): {exc}"
        ) from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
