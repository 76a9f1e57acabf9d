"""Malformed language settings in the deployment file: each a clear error naming the
field, never a traceback or a silent choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_deployment
from tests.test_config_answer_languages import BILINGUAL, _with

TEAM = "chats = [-1001000000010]"


@pytest.mark.parametrize(
    ("chats", "expected"),
    [
        # An id that is not a number (a list, a table): named, not a crash.
        ('[{ id = [1], language = "cy" }]', r"providers\[0\].*chats\[0\].*a chat is an id"),
        ("[{ id = { a = 1 } }]", r"providers\[0\].*chats\[0\].*a chat is an id"),
        # One chat given twice (two languages): which one would it be?
        (
            '[{ id = -1001, language = "cy" }, { id = -1001, language = "en" }]',
            r"providers\[0\].*chats\[1\].*-1001 appears twice",
        ),
        ('[-1001, { id = -1001, language = "cy" }]', r"chats\[1\].*-1001 appears twice"),
    ],
)
def test_a_malformed_chat_is_named(tmp_path: Path, chats: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_deployment(_with(tmp_path, BILINGUAL, (TEAM, f"chats = {chats}")))


def test_a_plain_id_twice_is_accepted_as_before(tmp_path: Path) -> None:
    deployment = load_deployment(_with(tmp_path, (TEAM, "chats = [-1001, -1001]")))
    assert set(deployment.providers[0].chats) == {-1001}


def test_translations_that_are_not_a_table_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"services\[0\]\.translations"):
        load_deployment(
            _with(tmp_path, BILINGUAL, ("[[services]]\n", '[[services]]\ntranslations = "x"\n'))
        )
