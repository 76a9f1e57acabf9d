"""The languages a response must have, and each provider chat's language, in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_deployment
from tests.conftest import EXAMPLE


def _with(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    text = EXAMPLE.read_text()
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "d.toml"
    path.write_text(text)
    return path


BILINGUAL = ('name = "Riverside Council"', 'name = "Riverside Council"\nlanguages = ["en", "cy"]')


def test_required_languages_default_to_the_default_language(tmp_path: Path) -> None:
    deployment = load_deployment(_with(tmp_path, BILINGUAL))
    assert deployment.required_languages == ["en"]


def test_both_languages_required_default_first(tmp_path: Path) -> None:
    deployment = load_deployment(
        _with(tmp_path, BILINGUAL, ("[responses]", '[responses]\nlanguages = ["cy", "en"]'))
    )
    assert deployment.required_languages == ["en", "cy"]


@pytest.mark.parametrize(
    ("required", "expected"),
    [
        ('["en", "pl"]', "responses.languages[1]: 'pl' is not in languages"),
        ('["cy"]', "the default language 'en' must be one of them"),
        ('["en", "en"]', "responses.languages: a language appears twice"),
    ],
)
def test_bad_required_languages_are_named(tmp_path: Path, required: str, expected: str) -> None:
    path = _with(tmp_path, BILINGUAL, ("[responses]", f"[responses]\nlanguages = {required}"))
    with pytest.raises(ConfigError) as info:
        load_deployment(path)
    assert expected in str(info.value)


def test_a_provider_chat_may_have_a_language(tmp_path: Path) -> None:
    path = _with(
        tmp_path,
        BILINGUAL,
        ("chats = [-1001000000010]", 'chats = [{ id = -1001000000010, language = "cy" }, 456]'),
    )
    provider = load_deployment(path).providers[0]
    assert provider.chats == [-1001000000010, 456]
    assert provider.chat_language(-1001000000010) == "cy"
    assert provider.chat_language(456) is None


@pytest.mark.parametrize(
    ("chats", "expected"),
    [
        ('[{ id = -1001000000010, language = "pl" }]', "'pl' of chat -1001000000010 is not in"),
        ('[{ language = "cy" }]', "chats[0]: a chat is an id"),
        ('[{ id = 5, lang = "cy" }]', "unknown: lang"),
    ],
)
def test_bad_chat_languages_are_named(tmp_path: Path, chats: str, expected: str) -> None:
    path = _with(tmp_path, BILINGUAL, ("chats = [-1001000000010]", f"chats = {chats}"))
    with pytest.raises(ConfigError) as info:
        load_deployment(path)
    assert expected in str(info.value)
