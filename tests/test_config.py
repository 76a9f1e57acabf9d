"""Settings and the deployment file: clear one-line errors, docs kept honest."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_deployment, load_settings
from tests.conftest import EXAMPLE, ROOT

NOW = datetime(2026, 11, 2, tzinfo=UTC)
ENV_NAMES = [str(f.validation_alias) for f in Settings.model_fields.values()]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_match_product() -> None:
    settings = load_settings()
    assert settings.telegram_api_url == "https://api.telegram.org/bot"
    assert settings.database_path == Path("data/yousaid.db")
    assert settings.metoo_weeks == 6


def test_metoo_weeks_is_read_and_zero_turns_the_offer_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.metoo import MeToo

    monkeypatch.setenv("YOUSAID_METOO_WEEKS", "0")
    settings = load_settings()
    assert settings.metoo_weeks == 0
    assert not MeToo(None, weeks=settings.metoo_weeks).enabled  # type: ignore[arg-type]
    monkeypatch.setenv("YOUSAID_METOO_WEEKS", "3")
    assert MeToo(None, weeks=load_settings().metoo_weeks).since(NOW) == NOW - timedelta(weeks=3)  # type: ignore[arg-type]


def test_env_file_is_honoured_and_token_is_secret(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BOT_TOKEN=123456:ABC-def_ghi\nYOUSAID_POLL_TIMEOUT=5\n")
    settings = load_settings()
    assert settings.token() == "123456:ABC-def_ghi"
    assert settings.poll_timeout == 5
    assert "ABC-def" not in repr(settings) and "ABC-def" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TELEGRAM_API_URL", "127.0.0.1:8081/bot", "TELEGRAM_API_URL is not valid"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL is not valid"),
        ("DATABASE_URL", "postgresql:///y", "must name a host"),
        ("YOUSAID_CONCURRENT_UPDATES", "many", "YOUSAID_CONCURRENT_UPDATES is not valid"),
        ("YOUSAID_LOG_LEVEL", "LOUD", "YOUSAID_LOG_LEVEL is not valid"),
        ("YOUSAID_WEBHOOK_URL", "bot.example.org/hook", "YOUSAID_WEBHOOK_URL is not valid"),
        ("YOUSAID_WEBHOOK_LISTEN", "8443", "YOUSAID_WEBHOOK_LISTEN is not valid"),
        ("YOUSAID_METOO_WEEKS", "-1", "YOUSAID_METOO_WEEKS is not valid"),
    ],
)
def test_bad_setting_names_itself(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=expected) as info:
        load_settings()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("secret", [None, "", "has spaces", "x" * 257])
def test_webhook_mode_needs_a_secret_telegram_accepts(
    monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.setenv("YOUSAID_WEBHOOK_URL", "https://bot.example.org/telegram")
    if secret is not None:
        monkeypatch.setenv("YOUSAID_WEBHOOK_SECRET", secret)
    with pytest.raises(ConfigError, match=r"^YOUSAID_WEBHOOK_SECRET must be set"):
        load_settings()
    monkeypatch.setenv("YOUSAID_WEBHOOK_SECRET", "Good_secret-1")
    assert load_settings().webhook_address == ("0.0.0.0", 8443)


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_bad_token(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("BOT_TOKEN", token)
    with pytest.raises(ConfigError, match="BOT_TOKEN"):
        load_settings().token()


def test_run_without_token_is_one_clear_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "yousaid: BOT_TOKEN is not set: get one from @BotFather, or try make demo"
    )
    assert "Traceback" not in result.stderr


def test_example_deployment_is_valid() -> None:
    deployment = load_deployment(EXAMPLE)
    assert len(deployment.services) >= 6
    assert {"library", "bins", "buses", "gp-surgery", "parks", "council-tax"} <= {
        s.slug for s in deployment.services
    }
    assert 2 <= len(deployment.providers) <= 3


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('provider = "culture-leisure"', 'provider = "nobody"', 1),
            "services[0].provider: unknown",
        ),
        (('timezone = "Europe/London"', 'timezone = "Mars/Olympus"', 1), "providers[0].timezone"),
        (('schedule = "0 9 * * mon"', 'schedule = "every monday"', 1), "providers[0].schedule"),
        (('slug = "parks"', 'slug = "library"', 1), "services[1].slug: 'library' appears twice"),
        (('slug = "bins"', 'slug = "Bins & Co"', 1), "services[2].slug"),
        (('name = "Riverside Council"', 'nmae = "Riverside Council"', 1), "nmae: unknown field"),
        (("admins = [100000001]", 'admins = ["bob"]', 1), "admins[0]"),
        (("[[providers]]", "[[providerz]]", 3), "providerz"),
        (("latitude = 52.4031", "latitude = 152.4031", 1), "services[1].sites[1].latitude"),
        (('name = "Allotments"', 'name = "Riverside Park"', 1), "'Riverside Park' appears twice"),
        (("radius_km = 15", "radius_km = 0", 1), "area.radius_km"),
        (
            ("latitude = 52.4150", "latitude = 51.5072", 1),
            "services[1].sites[2]: 'Allotments' is 100 km from the area's centre",
        ),
        (
            ("[moderation]", '[privacy]\ntext = "Kept {keep_days} days"\n[moderation]', 1),
            "privacy: text: unknown placeholder {keep_days} (it may use {forget_inactive_days}",
        ),
        (
            ("[moderation]", '[privacy]\ntext = "All {sorts"\n[moderation]', 1),
            "privacy: text: expected '}' before end of string (write {{ and }} for a brace)",
        ),
    ],
)
def test_deployment_error_names_the_field(
    tmp_path: Path, change: tuple[str, str, int], expected: str
) -> None:
    old, new, count = change
    text = EXAMPLE.read_text()
    assert old in text
    path = tmp_path / "d.toml"
    path.write_text(text.replace(old, new, count))
    with pytest.raises(ConfigError) as info:
        load_deployment(path)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_or_broken_deployment_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_deployment(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_deployment(broken)


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in ENV_NAMES if not re.search(rf"`{name}`", readme)]
    assert not missing, f"README.md does not document {missing}"


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081/bot"),
        ("http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot"),
        ("http://127.0.0.1:8081/bot/", "http://127.0.0.1:8081/bot"),
        ("https://proxy.example.org/tg/bot", "https://proxy.example.org/tg/bot"),
    ],
)
def test_telegram_api_url_without_bot_means_the_servers_bot_api(
    monkeypatch: pytest.MonkeyPatch, given: str, meant: str
) -> None:
    monkeypatch.setenv("TELEGRAM_API_URL", given)
    assert load_settings().telegram_api_url == meant


def test_database_url_may_be_a_bare_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", str(tmp_path / "y.db"))
    settings = load_settings()
    assert settings.database_path == tmp_path / "y.db" and not settings.on_postgres
    monkeypatch.setenv("DATABASE_URL", "data/y.db")
    assert load_settings().database_path == Path("data/y.db")


def test_deployment_file_that_is_a_folder_or_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read") as info:
        load_deployment(tmp_path)
    assert "\n" not in str(info.value)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe name = 1")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_deployment(binary)
