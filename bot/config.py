"""Settings (from the environment and `.env`) and the deployment file's models."""

from __future__ import annotations

import re
import shlex
import shutil
import string
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot import i18n
from bot.places import Area as PlacesArea
from bot.places import Places, distance_m
from bot.places import Site as PlacesSite

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

# Cron's day-of-week numbers: 0 and 7 are Sunday, 1 is Monday.
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _cron_day(text: str) -> int | None:
    """A cron day-of-week (0-7 or a name) as cron's number, 0 to 7; None if it is neither."""
    text = text.lower()
    if text.isascii() and text.isdigit() and int(text) <= 7:
        return int(text)
    return _CRON_DAYS.index(text) if text in _CRON_DAYS else None


def _stepped_weekdays(part: str) -> list[str] | None:
    """A day-of-week step as cron counts it ("*/2": Sunday, Tuesday, Thursday, Saturday;
    "mon-fri/2": Monday, Wednesday, Friday), as day names; None if it is not one."""
    base, _, step = part.partition("/")
    if not (step.isascii() and step.isdigit() and int(step) > 0):
        return None
    if base == "*":
        first, last = 0, 6
    else:
        ends = [d for e in base.split("-") if (d := _cron_day(e)) is not None]
        if len(ends) != len(base.split("-")) or len(ends) > 2:
            return None
        # "1/2" runs to the end of the week, 7 (Sunday) included, as cron's does.
        first, last = ends[0], ends[1] if len(ends) == 2 else 7
        if last < first:
            return None
    return [_CRON_DAYS[d] for d in range(first, last + 1, int(step))]


def _named_weekdays(field: str) -> str:
    """A cron day-of-week field with its numbers as names (ranges and steps as lists), so
    that it means what cron means: APScheduler's crontab reads 0 as Monday, refuses 7, and
    counts steps from Monday (or drops them after names)."""
    named = []
    for part in field.split(","):
        ends = part.split("-")
        if "/" in part and (stepped := _stepped_weekdays(part)) is not None:
            named += stepped
        elif "/" in part or not all(e.isascii() and e.isdigit() and int(e) <= 7 for e in ends):
            named.append(part)  # names, "*", steps: as written
        elif len(ends) == 1:
            named.append(_CRON_DAYS[int(part)])
        elif len(ends) == 2 and int(ends[0]) <= int(ends[1]):
            named += [_CRON_DAYS[d] for d in range(int(ends[0]), int(ends[1]) + 1)]
        else:
            named.append(part)
    return ",".join(dict.fromkeys(named))


# Digests closer together than this are a slip of the cron expression ("* 9 * * mon" is
# sixty digests every Monday, not one at nine).
MIN_DIGEST_GAP = timedelta(hours=1)
# How many fire times are looked at for that (enough for a day of every-minute firing).
_GAPS_CHECKED = 100


def _schedule_problem(cron: CronTrigger) -> str:
    """What is wrong with a digest schedule, or "": it must come, and not too often."""
    moment = datetime(2026, 1, 5, tzinfo=UTC)
    previous = None
    for _ in range(_GAPS_CHECKED):
        found = cron.get_next_fire_time(None, moment)
        if found is None:
            return "never comes (no such date)" if previous is None else ""
        if previous is not None and found - previous < MIN_DIGEST_GAP:
            gap = int((found - previous).total_seconds() // 60)
            return (
                f"sends a digest every {gap} minute{'s' if gap != 1 else ''} at times "
                "(more often than once an hour): the minute field should be a number"
            )
        previous, moment = found, found + timedelta(microseconds=1)
    return ""


def crontab(expression: str, timezone: ZoneInfo | None = None) -> CronTrigger:
    """A provider's cron schedule as a trigger, with cron's meaning of day-of-week numbers."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) == 5:
        fields[4] = _named_weekdays(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=timezone)


class ConfigError(Exception):
    """A setting or the deployment file is missing or wrong; the message is one clear line."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment, loaded once at start and passed down."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    bot_token: SecretStr | None = Field(default=None, validation_alias="BOT_TOKEN")
    telegram_api_url: str = Field(
        default="https://api.telegram.org/bot", validation_alias="TELEGRAM_API_URL"
    )
    database_url: str = Field(default="sqlite:///data/yousaid.db", validation_alias="DATABASE_URL")
    # Connections each instance keeps to PostgreSQL (SQLite has one writer and one reader).
    db_pool_size: int = Field(default=10, ge=2, le=100, validation_alias="YOUSAID_DB_POOL")
    # The deployment's own theme models; by default beside the SQLite file, or data/models.
    models_dir: Path | None = Field(default=None, validation_alias="YOUSAID_MODELS_DIR")
    config_path: Path = Field(
        default=Path("examples/riverside.toml"), validation_alias="YOUSAID_CONFIG"
    )
    log_level: str = Field(default="INFO", validation_alias="YOUSAID_LOG_LEVEL")
    concurrent_updates: int = Field(
        default=16, ge=1, le=256, validation_alias="YOUSAID_CONCURRENT_UPDATES"
    )
    poll_timeout: int = Field(default=30, ge=0, le=50, validation_alias="YOUSAID_POLL_TIMEOUT")
    max_messages_per_second: float = Field(
        default=30, ge=0, validation_alias="YOUSAID_MAX_MESSAGES_PER_SECOND"
    )
    group_messages_per_minute: float = Field(
        default=20, ge=0, validation_alias="YOUSAID_GROUP_MESSAGES_PER_MINUTE"
    )
    conversation_timeout: int = Field(
        default=1800, ge=10, validation_alias="YOUSAID_CONVERSATION_TIMEOUT"
    )
    # Twice the 5 s a slow Bot API server (or a proxy in front of Telegram) may take: a call
    # given up on at 5 s was made again, or its effect left unknown, though it worked.
    telegram_timeout: float = Field(
        default=10.0, gt=0, le=120, validation_alias="YOUSAID_TELEGRAM_TIMEOUT"
    )
    items_per_hour: int = Field(default=10, ge=0, validation_alias="YOUSAID_ITEMS_PER_HOUR")
    items_per_day: int = Field(default=30, ge=0, validation_alias="YOUSAID_ITEMS_PER_DAY")
    # "Me too": how many weeks back published items are offered to a citizen whose words are
    # like theirs (0: never offered).
    metoo_weeks: int = Field(default=6, ge=0, le=520, validation_alias="YOUSAID_METOO_WEEKS")
    retrain_weekly: bool = Field(default=False, validation_alias="YOUSAID_RETRAIN_WEEKLY")
    # Voice notes and photos (issue 17): the longest voice note taken, in seconds; an offline
    # speech-to-text command run on a downloaded voice note, printing its text (unset: the
    # moderators type it); how long it may take; days voice notes and photos are kept.
    voice_max_seconds: int = Field(default=180, ge=1, validation_alias="YOUSAID_VOICE_MAX_SECONDS")
    transcribe: str = Field(default="", validation_alias="YOUSAID_TRANSCRIBE")
    transcribe_seconds: float = Field(
        default=60, gt=0, le=600, validation_alias="YOUSAID_TRANSCRIBE_SECONDS"
    )
    media_keep_days: int = Field(default=90, ge=1, validation_alias="YOUSAID_MEDIA_KEEP_DAYS")
    # Answers that could not reach a citizen who had blocked the bot are sent when they come
    # back if queued within this many days (0: none); older ones stay in /mine.
    resend_blocked_days: int = Field(
        default=30, ge=0, le=3650, validation_alias="YOUSAID_RESEND_BLOCKED_DAYS"
    )
    # Webhook mode (several instances behind a load balancer); polling when the URL is unset.
    webhook_url: str | None = Field(default=None, validation_alias="YOUSAID_WEBHOOK_URL")
    webhook_listen: str = Field(default="0.0.0.0:8443", validation_alias="YOUSAID_WEBHOOK_LISTEN")
    webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="YOUSAID_WEBHOOK_SECRET"
    )
    webhook_max_connections: int = Field(
        default=40, ge=1, le=100, validation_alias="YOUSAID_WEBHOOK_MAX_CONNECTIONS"
    )
    # How long an instance's turn at a chat lasts unless renewed: a dead instance's chats
    # are taken over after this long (under Telegram's 15 s for answering a button press).
    chat_turn_seconds: float = Field(
        default=10, ge=2, le=600, validation_alias="YOUSAID_CHAT_TURN_SECONDS"
    )
    # How long an instance holds the scheduler's lease without renewing it (renewed every
    # third of it): the bound on how soon another instance takes over scheduled work.
    lease_seconds: float = Field(default=15, ge=1, le=600, validation_alias="YOUSAID_LEASE_SECONDS")

    @field_validator("telegram_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must start with http:// or https://, e.g. http://127.0.0.1:8081/bot")
        value = value.rstrip("/")
        # A bare server address ("http://127.0.0.1:8081", as a local Bot API server prints
        # it) means its Bot API: the token is appended to the URL as it stands.
        return value if urlsplit(value).path else value + "/bot"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value.startswith(("postgres://", "postgresql://", "postgresql+")):
            if not urlsplit(value).hostname and "host=" not in value:
                raise ValueError(
                    "must name a host, e.g. postgresql://yousaid@127.0.0.1:5432/yousaid"
                )
            return value
        if value and "://" not in value and not value.startswith("sqlite:"):
            # A bare path is the SQLite file ("/srv/yousaid.db", "data/yousaid.db").
            return "sqlite:///" + value
        if not value.startswith("sqlite:///") or value == "sqlite:///":
            raise ValueError(
                "must look like sqlite:///data/yousaid.db or postgresql://user@host:5432/db"
            )
        return value

    @field_validator("transcribe")
    @classmethod
    def _transcribe(cls, value: str) -> str:
        # Checked at start: a command that cannot run would fail on every voice note.
        try:
            words = shlex.split(value)
        except ValueError as exc:
            raise ValueError(
                f"cannot be read as a command ({exc}): check its quotes, e.g."
                " whisper-cli --model '/opt/models/base en.bin'"
            ) from None
        if not words:
            return ""
        if shutil.which(words[0]) is None:
            raise ValueError(
                f"{words[0]!r} is not a program that can be run here: give its full path,"
                " or install it"
            )
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(
                "must be the public https URL Telegram calls, e.g. https://bot.example.org/telegram"
            )
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _webhook_listen(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, e.g. 0.0.0.0:8443")
        return value

    @model_validator(mode="after")
    def _webhook_secret(self) -> Settings:
        if self.webhook_url is None:
            return self
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ValueError(
                "YOUSAID_WEBHOOK_SECRET must be set with YOUSAID_WEBHOOK_URL: 1 to 256 letters,"
                " digits, _ or - (Telegram sends it with every update)"
            )
        return self

    @property
    def webhook_address(self) -> tuple[str, int]:
        """The host and port the webhook server binds (YOUSAID_WEBHOOK_LISTEN)."""
        host, _, port = self.webhook_listen.rpartition(":")
        return host.strip("[]"), int(port)

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @property
    def on_postgres(self) -> bool:
        """Whether DATABASE_URL names PostgreSQL (several instances may share it)."""
        return self.database_url.startswith(("postgres://", "postgresql://", "postgresql+"))

    @property
    def database_path(self) -> Path:
        """The SQLite file that DATABASE_URL names (on PostgreSQL: the data folder's place)."""
        if self.on_postgres:
            return Path("data") / "postgresql"
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def models_path(self) -> Path:
        """Where the deployment's own theme models are kept: YOUSAID_MODELS_DIR, or beside
        the database (every instance on PostgreSQL must see the same folder)."""
        if self.models_dir is not None:
            return self.models_dir
        return self.database_path.parent / "models"

    def deployment_file(self) -> Path:
        """The deployment file `run` serves; a ConfigError when YOUSAID_CONFIG is not set (the
        example's fictional council is for the demo and the tools, never a real bot)."""
        if "config_path" not in self.model_fields_set:
            raise ConfigError(
                "YOUSAID_CONFIG is not set: copy examples/riverside.toml, put in your services,"
                " providers and admins, and set YOUSAID_CONFIG to its path (or try make demo)"
            )
        return self.config_path

    def token(self) -> str:
        """The bot token, or a ConfigError that says how to get one."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise ConfigError("BOT_TOKEN is not set: get one from @BotFather, or try make demo")
        value = self.bot_token.get_secret_value().strip()
        if not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", value):
            raise ConfigError(
                "BOT_TOKEN does not look like a bot token (digits, a colon, then letters): "
                "copy it again from @BotFather"
            )
        return value


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment and `.env`; raise ConfigError on a bad value."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        # Errors are located by the environment name (the validation alias).
        name = str(error["loc"][0]) if error["loc"] else "a setting"
        message = str(error["msg"]).removeprefix("Value error, ")
        if not error["loc"]:
            # A rule across settings: its message names them.
            raise ConfigError(message) from None
        raise ConfigError(f"{name} is not valid: {message}") from None


Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,30}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A language code as the deployment file gives it: "en", "cy", "pl", "ur".
LANGUAGE = re.compile(r"^[a-z]{2,3}$")


class _Localised(_Strict):
    """Fields a deployment may give in each of its languages: `name_cy = "..."` beside
    `name = "..."` (the deployment's first language)."""

    localised: ClassVar[tuple[str, ...]] = ()
    # {language: {field: words}}, from the `<field>_<language>` keys of the file.
    translations: dict[str, dict[str, str]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _gather(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not cls.localised:
            return data
        data = dict(data)
        given = data.get("translations", {})
        if not isinstance(given, dict) or not all(isinstance(v, dict) for v in given.values()):
            return data  # not a table of tables: pydantic names the field
        gathered: dict[str, dict[str, str]] = {k: dict(v) for k, v in given.items()}
        for key in list(data):
            field, _, language = key.rpartition("_")
            if field in cls.localised and LANGUAGE.match(language):
                gathered.setdefault(language, {})[field] = data.pop(key)
        if gathered:
            data["translations"] = gathered
        return data

    def word(self, field: str, language: str) -> str:
        """A field in `language`, or as the file gives it by default."""
        default: str = getattr(self, field)
        return self.translations.get(language, {}).get(field) or default


class Provider(_Localised):
    """A team that runs services and receives their digests."""

    localised: ClassVar[tuple[str, ...]] = ("name",)

    id: Slug
    name: str = Field(min_length=1)
    schedule: str = "0 9 * * mon"
    timezone: str = "Europe/London"
    # Where its digests go; a chat may have its own language, read in the file as
    # `chats = [{ id = -100123, language = "cy" }, 456]` (a bare id: the default language).
    chats: list[int] = Field(default_factory=list)
    # The language of each chat given one (from `chats`), by chat id.
    chat_languages: dict[int, str] = Field(default_factory=dict)
    # An empty period: send a short note, or nothing.
    empty_digest: Literal["note", "skip"] = "note"

    @model_validator(mode="before")
    @classmethod
    def _chats(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("chats"), list):
            return data
        data = dict(data)
        ids: list[Any] = []
        languages: dict[Any, Any] = dict(data.get("chat_languages") or {})
        for index, chat in enumerate(data["chats"]):
            if isinstance(chat, dict):
                unknown = set(chat) - {"id", "language"}
                if not isinstance(chat.get("id"), int | str) or unknown:
                    raise ValueError(
                        f"chats[{index}]: a chat is an id, or {{ id = -100123, language = "
                        '"cy" }' + (f" (unknown: {', '.join(sorted(unknown))})" if unknown else "")
                    )
                chat_id = chat["id"]
                if chat.get("language"):
                    languages[chat_id] = chat["language"]
            else:
                chat_id = chat
            if chat_id in ids and (isinstance(chat, dict) or chat_id in languages):
                # Given twice, once with a language: which would it be? (A plain id twice
                # was always harmless, and stays so.)
                raise ValueError(f"chats[{index}]: the chat {chat_id} appears twice")
            ids.append(chat_id)
        data["chats"] = ids
        if languages:
            data["chat_languages"] = languages
        return data

    def chat_language(self, chat_id: int) -> str | None:
        """The language this chat was given, if any."""
        return self.chat_languages.get(chat_id)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            cron = crontab(value, ZoneInfo("UTC"))
        except ValueError as exc:
            raise ValueError(f"not a cron expression ({exc}); e.g. '0 9 * * mon'") from None
        problem = _schedule_problem(cron)
        if problem:
            raise ValueError(f"{value!r} {problem}; e.g. '0 9 * * mon'")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; e.g. 'Europe/London'") from None
        return value


class Site(_Localised):
    """A place a service runs (a park, a stop, a branch), that citizens can pick."""

    localised: ClassVar[tuple[str, ...]] = ("name",)

    name: str = Field(min_length=1, max_length=40)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class Area(_Strict):
    """Where the deployment's services are: a centre and a radius."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    radius_km: float = Field(gt=0, le=1000)


class Service(_Localised):
    """A public service people can give feedback about."""

    localised: ClassVar[tuple[str, ...]] = ("name", "description")

    slug: Slug
    name: str = Field(min_length=1, max_length=60)
    description: str = ""
    provider: str
    # How to reach the service directly (its complaints page, a phone number), told to a
    # citizen who asks to be contacted; the deployment's `contact` when empty.
    contact: str = ""
    # Where it runs, if in several places: citizens pick one (or share a location).
    sites: list[Site] = Field(default_factory=list, max_length=20)


class Moderation(_Strict):
    """How moderation runs: reminders, invitations, the optional auto-approve rule."""

    # Remind the moderators' chat when the oldest waiting item is older than this.
    remind_after_minutes: int = Field(default=120, ge=1)
    # How long an invitation link works.
    invite_hours: int = Field(default=72, ge=1, le=24 * 30)
    # Publish compliments in which redaction found and flagged nothing, without waiting for
    # a person (not those in a script without capitals, where it cannot tell a name).
    auto_approve_compliments: bool = False
    # For how long a moderator may undo an approval or rejection (0: never); after that a
    # published item can only be unpublished, with a reason.
    undo_minutes: int = Field(default=10, ge=0, le=24 * 60)
    # The language of the moderators' chat (cards, reminders); the deployment's first
    # language when empty.
    language: str = ""
    # Languages an item may be written in beside the deployment's own (ISO 639-1 codes), for
    # detecting it; empty: English, Welsh and common community languages (Polish, Urdu,
    # Punjabi, Bengali, Arabic, Romanian... nlp.language.COMMUNITY).
    item_languages: list[str] = Field(default_factory=list)


# What a deployment's privacy text may name.
PRIVACY_PLACEHOLDERS = frozenset({"keep_original_days", "forget_inactive_days", "version"})


class Privacy(_Localised):
    """How long things are kept, and what /forget may keep."""

    localised: ClassVar[tuple[str, ...]] = ("text",)

    # Original texts are removed this many days after they were given (approved items keep
    # their published, redacted text).
    keep_original_days: int = Field(default=180, ge=1)
    # Citizens who have not been in touch for this long are forgotten.
    forget_inactive_days: int = Field(default=730, ge=30)
    # Whether /forget offers to keep published (approved, redacted) items anonymously.
    keep_published_on_forget: bool = True
    # The deployment's own privacy text (replaces the default); may use {keep_original_days},
    # {forget_inactive_days} and {version}.
    text: str = ""

    @model_validator(mode="after")
    def _placeholders(self) -> Privacy:
        # Checked at start: a text that fails to fill in would break /privacy for everyone.
        texts = {"text": self.text} | {
            f"text_{language}": given["text"]
            for language, given in self.translations.items()
            if "text" in given
        }
        for key, text in texts.items():
            try:
                names = {
                    name for _, name, _, _ in string.Formatter().parse(text) if name is not None
                }
            except ValueError as exc:
                raise ValueError(f"{key}: {exc} (write {{{{ and }}}} for a brace)") from exc
            unknown = sorted(names - PRIVACY_PLACEHOLDERS)
            if unknown:
                allowed = ", ".join(f"{{{n}}}" for n in sorted(PRIVACY_PLACEHOLDERS))
                raise ValueError(
                    f"{key}: unknown placeholder {{{unknown[0]}}} (it may use {allowed})"
                )
        return self


class Responses(_Strict):
    """How providers' responses and questions are written and followed up."""

    # Ask the provider for an update this many days after they said "in progress".
    follow_up_days: int = Field(default=28, ge=1, le=365)
    # The languages a response or question must have before it goes to citizens (e.g.
    # ["cy", "en"] in Wales); empty: the deployment's default language alone.
    languages: list[str] = Field(default_factory=list)


class Deployment(_Localised):
    """The deployment file: who runs what, who moderates, who administers."""

    localised: ClassVar[tuple[str, ...]] = ("name",)
    name: str = Field(min_length=1)
    # The languages people may choose; the first is the default, and the language of what
    # the file says without a `_<language>` suffix.
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    # The formal route for complaints and for being contacted, for services without their
    # own `contact` line: this bot is not it.
    contact: str = ""
    moderators_chat: int | None = None
    admins: list[int] = Field(default_factory=list)
    moderation: Moderation = Field(default_factory=Moderation)
    privacy: Privacy = Field(default_factory=Privacy)
    responses: Responses = Field(default_factory=Responses)
    providers: list[Provider] = Field(min_length=1)
    services: list[Service] = Field(min_length=1)
    # Locations shared from outside it are answered kindly and not kept (None: anywhere).
    area: Area | None = None

    @model_validator(mode="after")
    def _references(self) -> Deployment:
        self._check_languages()
        for index, admin in enumerate(self.admins):
            if admin <= 0:
                raise ValueError(
                    f"admins[{index}]: {admin} is a group's id, not a person's: an admin's id is "
                    "what /id answers in a private chat with the bot"
                )
        provider_ids = [p.id for p in self.providers]
        _unique("providers", "id", provider_ids)
        _unique("services", "slug", [s.slug for s in self.services])
        for index, service in enumerate(self.services):
            _unique(f"services[{index}].sites", "name", [site.name for site in service.sites])
        self._check_sites_in_area()
        for index, service in enumerate(self.services):
            if service.provider not in provider_ids:
                raise ValueError(
                    f"services[{index}].provider: unknown provider {service.provider!r} "
                    f"(known: {', '.join(provider_ids)})"
                )
        return self

    def _check_sites_in_area(self) -> None:
        # A site outside the area would refuse every location shared at it.
        area = self.area
        if area is None:
            return
        for i, service in enumerate(self.services):
            for j, site in enumerate(service.sites):
                away = distance_m(area.latitude, area.longitude, site.latitude, site.longitude)
                if away > area.radius_km * 1000:
                    raise ValueError(
                        f"services[{i}].sites[{j}]: {site.name!r} is {away / 1000:.0f} km from "
                        f"the area's centre, outside its radius of {area.radius_km:g} km"
                    )

    def _check_languages(self) -> None:
        known = i18n.available()
        if len(set(self.languages)) != len(self.languages):
            raise ValueError("languages: a language appears twice")
        for index, language in enumerate(self.languages):
            if language not in known:
                raise ValueError(
                    f"languages[{index}]: no catalogue for {language!r} "
                    f"(there are: {', '.join(known)}; see the README's Languages)"
                )
        if self.moderation.language and self.moderation.language not in self.languages:
            raise ValueError(
                f"moderation.language: {self.moderation.language!r} is not in languages"
            )
        required = self.responses.languages
        if len(set(required)) != len(required):
            raise ValueError("responses.languages: a language appears twice")
        for index, language in enumerate(required):
            if language not in self.languages:
                raise ValueError(f"responses.languages[{index}]: {language!r} is not in languages")
        if required and self.default_language not in required:
            raise ValueError(
                f"responses.languages: the default language {self.default_language!r} "
                "must be one of them"
            )
        for index, provider in enumerate(self.providers):
            for chat, language in provider.chat_languages.items():
                if chat not in provider.chats:
                    raise ValueError(f"providers[{index}].chat_languages: {chat} is not a chat")
                if language not in self.languages:
                    raise ValueError(
                        f"providers[{index}].chats: the language {language!r} of chat {chat} "
                        "is not in languages"
                    )
        places: list[tuple[str, _Localised]] = [("", self), ("privacy", self.privacy)]
        places += [(f"providers[{i}]", p) for i, p in enumerate(self.providers)]
        places += [(f"services[{i}]", s) for i, s in enumerate(self.services)]
        places += [
            (f"services[{i}].sites[{j}]", site)
            for i, s in enumerate(self.services)
            for j, site in enumerate(s.sites)
        ]
        for where, item in places:
            for language, words in item.translations.items():
                if language not in self.languages[1:]:
                    field = next(iter(words))
                    raise ValueError(
                        f"{where + '.' if where else ''}{field}_{language}: {language!r} is not "
                        "one of the deployment's other languages"
                    )

    @property
    def default_language(self) -> str:
        """The language people get until they choose (the first of `languages`)."""
        return self.languages[0]

    @property
    def required_languages(self) -> list[str]:
        """The languages a response or question needs before it goes out: the default
        first, then the others in the order of `languages`."""
        wanted = set(self.responses.languages) | {self.default_language}
        return [language for language in self.languages if language in wanted]

    @property
    def moderators_language(self) -> str:
        """The language of the moderators' chat."""
        return self.moderation.language or self.default_language

    def places(self) -> Places:
        """The sites of each service and the deployment's area, as bot/places.py reads them."""
        area = (
            PlacesArea(self.area.latitude, self.area.longitude, self.area.radius_km)
            if self.area is not None
            else None
        )
        sites = {
            s.slug: tuple(PlacesSite(x.name, x.latitude, x.longitude) for x in s.sites)
            for s in self.services
            if s.sites
        }
        return Places(sites, area)

    def contacts(self) -> dict[str, str]:
        """How to reach each service directly, by slug (the deployment's line by default)."""
        return {s.slug: s.contact or self.contact for s in self.services}

    def service(self, slug: str) -> Service | None:
        """The service with this slug, if any."""
        return next((s for s in self.services if s.slug == slug), None)


def _unique(section: str, key: str, values: list[str]) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise ValueError(f"{section}[{index}].{key}: {value!r} appears twice")
        seen.add(value)


def load_deployment(path: Path) -> Deployment:
    """Read and validate the deployment file; raise ConfigError naming the field at fault."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"YOUSAID_CONFIG: {path} not found: copy examples/riverside.toml and edit it"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        # A folder, a file that cannot be read: named, not a traceback.
        raise ConfigError(f"YOUSAID_CONFIG: {path} cannot be read ({exc.strerror})") from None
    try:
        return Deployment.model_validate(raw)
    except ValidationError as exc:
        # An unknown field first: a typo there usually explains a "missing" one.
        error = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        where = _location(error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field (a typo?)"
        elif error["type"] == "missing":
            message = "is required"
        raise ConfigError(f"{path}: {where + ': ' if where else ''}{message}") from None


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
