"""`python -m emulator --port 8081 --token 123:ABC`: a standalone emulator."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from emulator.server import serve


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument("--bot-username", default="yousaid_bot")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each call")
    parser.add_argument(
        "--no-flood-control", action="store_true", help="turn off Telegram's rate limits"
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(
                args.host,
                args.port,
                args.token,
                bot_username=args.bot_username,
                latency=args.latency,
                flood_control=not args.no_flood_control,
            )
        )


if __name__ == "__main__":
    main()
