"""Languages: the catalogues are complete and faithful to the English, the words follow the
language spoken now, and a deployment names its languages with clear errors."""

from __future__ import annotations

import asyncio
import gettext
import io
import tomllib
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from bot import i18n
from bot.config import ConfigError, Deployment, load_deployment
from bot.i18n_check import problems
from bot.i18n_tools import NOT_REVIEWED, TEMPLATE, review_status, template
from bot.languages import endonym, right_to_left
from bot.tagging import ThemeLabels
from handlers import texts
from nlp.taxonomy import label_translations, load_taxonomy
from tests.conftest import EXAMPLE

LANGUAGES = i18n.available()[1:]


def test_english_is_the_source_and_three_languages_have_catalogues() -> None:
    assert i18n.available()[0] == "en"
    assert {"cy", "pl", "ur"} <= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalogue_has_every_entry_with_the_same_placeholders(language: str) -> None:
    assert problems(language) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_catalogue_not_reviewed_by_a_native_speaker_says_so(language: str) -> None:
    # Until a native speaker reviews it (and removes the line), the header says so.
    assert review_status(language) == NOT_REVIEWED


def test_the_template_is_up_to_date_with_the_english_source() -> None:
    """A new English string without `make i18n` fails here."""
    out = io.BytesIO()
    write_po(out, template(), width=100, sort_output=False)
    assert TEMPLATE.read_bytes() == out.getvalue(), "run make i18n"


def test_words_follow_the_language_spoken_now() -> None:
    english = texts.DECLINED
    with i18n.speaking("cy"):
        welsh = texts.DECLINED
        assert i18n.current() == "cy"
    assert texts.DECLINED == english and i18n.current() == "en"
    assert welsh != english and welsh == i18n.catalogue("cy").pgettext("DECLINED", english)


def test_dict_and_tuple_entries_are_translated_item_by_item_and_commands_kept() -> None:
    with i18n.speaking("cy"):
        commands = texts.COMMANDS
        kinds = texts.KIND_CHOICES
    assert [c for c, _ in commands] == [c for c, _ in texts.COMMANDS]
    assert [d for _, d in commands] != [d for _, d in texts.COMMANDS]
    assert kinds.keys() == texts.KIND_CHOICES.keys() and kinds != texts.KIND_CHOICES


async def test_each_task_speaks_its_own_language() -> None:
    seen: dict[str, str] = {}

    async def answer(language: str) -> None:
        i18n.speak(language)
        await asyncio.sleep(0)
        seen[language] = texts.DECLINED

    await asyncio.gather(answer("cy"), answer("en"), answer("ur"))
    assert seen["en"] == texts.DECLINED
    assert len(set(seen.values())) == 3
    assert i18n.current() == "en"  # the test's own task was never changed


def _catalogue_with_three_forms(tmp_path: Path) -> gettext.GNUTranslations:
    cat = Catalog(locale="pl")
    cat.add(("{n} item", "{n} items"), ("{n} pozycja", "{n} pozycje", "{n} pozycji"), context="X")
    out = io.BytesIO()
    write_mo(out, cat)
    return gettext.GNUTranslations(io.BytesIO(out.getvalue()))


def test_plural_forms_follow_the_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    words = i18n.Plural("{n} item", "{n} items", context="X")
    assert [words.format(n) for n in (0, 1, 2)] == ["0 items", "1 item", "2 items"]
    polish = _catalogue_with_three_forms(tmp_path)
    monkeypatch.setattr(i18n, "catalogue", lambda language: polish)
    with i18n.speaking("pl"):
        got = [words.format(n) for n in (1, 2, 5, 22, 25)]
    assert got == ["1 pozycja", "2 pozycje", "5 pozycji", "22 pozycje", "25 pozycji"]


def test_language_names_and_direction() -> None:
    assert endonym("cy") == "Cymraeg" and endonym("pl") == "Polski"
    assert right_to_left("ur") and not right_to_left("cy")


def _raw() -> dict[str, object]:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_a_deployment_names_its_languages_and_words_in_each() -> None:
    raw = _raw()
    raw["languages"] = ["cy", "en"]
    raw["name_en"] = "Riverside Council"
    services = raw["services"]
    assert isinstance(services, list)
    services[0]["name_en"] = "Central Library"
    services[0]["description_en"] = "Books"
    deployment = Deployment.model_validate(raw)
    assert deployment.default_language == "cy" and deployment.moderators_language == "cy"
    assert deployment.services[0].word("name", "en") == "Central Library"
    assert deployment.services[0].word("description", "en") == "Books"
    assert deployment.services[1].word("name", "en") == deployment.services[1].name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"languages": ["en", "xx"]}, "languages[1]: no catalogue for 'xx'"),
        ({"languages": ["en", "en"]}, "languages: a language appears twice"),
        ({"languages": []}, "languages"),
        ({"name_cy": "Cyngor"}, "name_cy: 'cy' is not one of the deployment's other languages"),
    ],
)
def test_a_wrong_language_is_named_in_one_line(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    raw = _raw() | change
    path = tmp_path / "d.toml"
    lines = []
    for key, value in raw.items():
        if not isinstance(value, list | dict) or key in ("languages", "area"):
            lines.append(f"{key} = {_toml(value)}")
    path.write_text("\n".join(lines) + "\n" + _tables(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_deployment(path)


def _toml(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value)


def _tables(raw: dict[str, object]) -> str:
    out = []
    for key, value in raw.items():
        if isinstance(value, dict) and key != "area":
            out.append(f"[{key}]")
            out += [f"{k} = {_toml(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                out.append(f"[[{key}]]")
                out += [f"{k} = {_toml(v)}" for k, v in item.items() if not isinstance(v, dict)]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_theme_has_a_label_in_every_language(language: str) -> None:
    themes = load_taxonomy()
    labels = ThemeLabels(
        {t: theme.label for t, theme in themes.items()}, label_translations(themes)
    )
    with i18n.speaking(language):
        local = dict(labels.items())
        assert labels.get("safety") == local["safety"] != themes["safety"].label
    assert set(local) == set(themes)
    assert all(local[t] != themes[t].label for t in themes)
    assert labels["safety"] == "Safety"  # back in English outside the block
