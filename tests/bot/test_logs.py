"""The bot token never reaches a log line: message, arguments or exception text."""

from __future__ import annotations

import io
import logging
import subprocess
import sys

from bot.logs import HIDDEN, TokenFilter, hide_token, scrub

TOKEN = "4242:SECRET-part_of-the-token"


def test_the_token_is_scrubbed_from_message_arguments_and_exception_text() -> None:
    hide_token(TOKEN)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(TokenFilter())
    log = logging.getLogger("tests.logs")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("calling %s", f"http://127.0.0.1/bot{TOKEN}/getMe")
        try:
            raise RuntimeError(f"url='http://127.0.0.1/bot{TOKEN}/getUpdates'")
        except RuntimeError:
            log.exception("getUpdates failed")
    finally:
        log.removeHandler(handler)
    written = out.getvalue()
    assert "SECRET-part_of-the-token" not in written
    assert f"http://127.0.0.1/bot4242:{HIDDEN}/getMe" in written
    assert "RuntimeError" in written and "getUpdates" in written


def test_a_token_in_any_bot_api_url_is_scrubbed_even_unknown() -> None:
    assert scrub("http://h/bot1:abc_DEF-1/x and http://h/bot2%3AzZ/y") == (
        f"http://h/bot1:{HIDDEN}/x and http://h/bot2:{HIDDEN}/y"
    )


def test_at_info_the_operator_does_not_get_two_lines_per_job_run() -> None:
    script = (
        "import logging; from bot.logs import setup; setup('INFO');"
        "logging.getLogger('apscheduler.executors.default').info('Running job \"x\"');"
        "logging.getLogger('apscheduler.executors.default').warning('Run time of job was missed');"
        "logging.getLogger('bot.app').info('bot is running')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "bot is running" in done.stderr and "was missed" in done.stderr
    assert "Running job" not in done.stderr
