"""Providers: scheduled digests delivered to their chats, and their own commands."""

from __future__ import annotations

import asyncio
import io
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ContextTypes

from bot import dates, evidence
from bot.asks import ask_lines
from bot.config import Provider
from bot.digest_content import Digest, Period, build_csv, build_digest
from bot.digests import Digests, Work, next_fire
from bot.i18n import current, speaking
from bot.ratelimit import ACQUIRED, FloodLimiter, seconds
from bot.roles import Roles, Who
from handlers import texts
from handlers.common import id_number
from handlers.fitting import name, pack
from handlers.places import Elsewhere, provider_place, team_chat
from handlers.responses import respond_buttons
from storage.services import ServiceRow

log = logging.getLogger(__name__)

PREFIX = "d"
CSV, CSV_NOW, TOGGLE = "csv", "csvnow", "sub"
# How many chats are sent to at once: enough to keep Telegram's 30 a second busy.
CONCURRENCY = 8


@dataclass(frozen=True)
class Part:
    """One message of a digest: which Bot API method sends it, how, and whether the digest
    can go without it (the chart)."""

    endpoint: str
    send: Callable[[ContextTypes.DEFAULT_TYPE, int], Awaitable[None]]
    extra: bool = False

    async def __call__(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
        await self.send(context, chat_id)


def _period(start: datetime, end: datetime, zone: str) -> str:
    return dates.period(start, end, ZoneInfo(zone))


def _csv_button(data: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(texts.CSV_BUTTON, callback_data=data)]


class ProviderHandlers:
    """Digest delivery and provider commands, bound to the digests core."""

    def __init__(
        self,
        digests: Digests,
        roles: Roles,
        labels: dict[str, str],
        broad: dict[str, str] | None = None,
    ) -> None:
        self.digests = digests
        self.roles = roles
        self.labels = labels
        # Where provider commands work, said to those who may not use them here.
        self.elsewhere = Elsewhere(roles)
        # Sub-theme id -> broad theme id (the tagger's: a new model changes it in place).
        self.broad = broad if broad is not None else {}
        self._delivering = asyncio.Lock()
        # Runs asked for, and how many of them the last pass that finished had covered (those
        # asked before it began): a run that finds a pass under way waits for a pass that
        # began after it was asked, and runs that pile up share one.
        self._asked = 0
        self._covered = 0

        # Set when the bot stops: deliveries end between messages; the rest go after restart.
        self.stopping = False

    async def build(
        self,
        provider: Provider,
        chat_id: int,
        start: datetime,
        end: datetime,
        services: list[ServiceRow] | None = None,
    ) -> Digest:
        """A provider's digest of a period, for the services this chat is subscribed to (or
        `services`), in the language spoken now (names too: `name_cy = ...`)."""
        if services is None:
            services = await self.digests.services_for(provider.id, chat_id)
        named, services = self.digests.named_in(current(), provider, services)
        return await build_digest(
            self.digests.db,
            provider=named,
            services=services,
            period=Period(start, end),
            labels=self.labels,
            broad=self.broad,
            sites=self.digests.site_names(current()),
            timezone=provider.timezone,
            notes=[
                await evidence.recent_lines(self.digests.db, services, end, broad=self.broad),
                await ask_lines(self.digests.db, services, start, end),
            ],
        )

    async def deliver(self, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Job: create the digests now due and send every pending one; messages sent.

        A run that finds another pass under way does not return empty-handed: that pass may
        have read the clock before the period ended (the catch-up, when the scheduled run
        comes), so it waits, and returns once a pass begun after it was asked has finished
        (its own, or one that a run waiting with it made). A stopping bot begins none."""
        self._asked += 1
        asked = self._asked
        async with self._delivering:
            if self._covered >= asked or self.stopping:
                return 0
            covering = self._asked
            sent = await self._pass(context)
            self._covered = covering
            return sent

    async def _pass(self, context: ContextTypes.DEFAULT_TYPE) -> int:
        """One pass: create the digests now due and send every pending one; messages sent."""
        await self.digests.schedule()
        work = await self.digests.work()
        slots = asyncio.Semaphore(CONCURRENCY)
        # Chats are served at once, but each chat's digests one after the other, oldest
        # first (work() gives them in that order): a catch-up after missed periods
        # reads as a story, each chart beside its own text.
        by_chat: dict[int, list[Work]] = {}
        for item in work:
            by_chat.setdefault(item.delivery.chat_id, []).append(item)

        async def chat(items: list[Work]) -> int:
            sent = 0
            async with slots:
                for item in items:
                    try:
                        count, finished = await self._deliver(context, item)
                    except Exception:
                        # One digest's fault must not stop the other chats; its delivery
                        # stays where it was and is looked at again on the next round.
                        log.exception("digest %s to one chat failed", item.digest.id)
                        return sent
                    sent += count
                    if not finished:
                        # A newer period never overtakes one still on its way.
                        return sent
            return sent

        return sum(await asyncio.gather(*(chat(items) for items in by_chat.values())))

    async def _deliver(self, context: ContextTypes.DEFAULT_TYPE, work: Work) -> tuple[int, bool]:
        """Send what is left of one digest to one chat: (messages sent, whether the chat is
        done with it, so that its next digest may follow)."""
        digest, chat_id = work.digest, work.delivery.chat_id
        provider = self.digests.providers.get(digest.provider_id)
        if provider is None:
            await self.digests.final(digest.id, chat_id, "failed", "provider no longer exists")
            return 0, True
        if (
            chat_id not in provider.chats
            and provider.id not in (await self.roles.who(chat_id)).providers
        ):
            # A person's private chat, and their role was revoked after the digest was queued.
            await self.digests.final(digest.id, chat_id, "failed", "no longer a provider")
            return 0, True
        start, end = digest.period
        # Written in the chat's language (a team's chat may have its own), whoever's update
        # or job this is.
        with speaking(await self.digests.language_of(chat_id)):
            # The services fixed with its first part: the chart and the text count the same
            # ones, and so does the CSV under it later.
            services = await self.digests.services_of_digest(
                provider.id, digest.id, chat_id, fix=True
            )
            content = await self.build(provider, chat_id, start, end, services)
            parts = self._parts(provider, content, digest.id, start, end)
        if not parts:
            await self.digests.final(digest.id, chat_id, "sent", "empty period, nothing sent")
            return 0, True
        if work.delivery.parts_done >= len(parts):
            # The last part was in flight when the bot died: it counts as delivered.
            await self.digests.final(digest.id, chat_id, "sent", "")
            return 0, True
        sent = 0
        for index in range(work.delivery.parts_done, len(parts)):
            if self.stopping:
                return sent, False
            # Wait for Telegram's pace first, so that "leaving" is marked only when nothing
            # holds the message back: the window in which a crash could lose it is tiny.
            limiter = context.bot.rate_limiter
            if isinstance(limiter, FloodLimiter):
                await limiter.acquire(parts[index].endpoint, chat_id)
            if not await self.digests.sending(digest.id, chat_id, index):
                log.warning("digest %s part %d was taken by another sender", digest.id, index)
                return sent, False
            try:
                await parts[index](context, chat_id)
            except Forbidden as exc:
                await self.digests.final(digest.id, chat_id, "blocked", exc.message)
                return sent, False
            except TimedOut:
                # Telegram may have it: counted as sent, so it is never sent twice.
                log.warning("digest %s timed out on its way to a chat; not resending", digest.id)
            except RetryAfter as exc:
                await self.digests.retry_later(work, "flood limit", _wait(exc))
                return sent, False
            except BadRequest as exc:
                # Before NetworkError, which it is a kind of: retrying would not help. A
                # chart refused (a group where members may not send photos) costs the chat
                # only the picture: the text, its quotes and buttons, still go.
                if not parts[index].extra:
                    await self.digests.final(digest.id, chat_id, "failed", exc.message)
                    return sent, True
                log.warning("digest %s: a chat refused its chart (%s)", digest.id, exc.message)
                if not await self.digests.sent(digest.id, chat_id, len(parts)):
                    return sent, False
                continue
            except (NetworkError, TelegramError) as exc:
                # A 5xx, a network fault, or an answer that was not Telegram's (a proxy's
                # HTML page): Telegram did not take it, so it is tried again later.
                await self.digests.retry_later(work, str(exc))
                return sent, False
            sent += 1
            if not await self.digests.sent(digest.id, chat_id, len(parts)):
                # This instance was taken for gone and its claim settled by another, which
                # goes on from the next part: the rest is its to send.
                log.warning("digest %s: claim settled by another instance; stopping", digest.id)
                return sent, False
        return sent, True

    def _parts(
        self, provider: Provider, content: Digest, digest_id: int, start: datetime, end: datetime
    ) -> list[Part]:
        """The messages of one digest, in order: the chart (if any), then the text."""
        if content.empty and provider.empty_digest == "skip":
            return []
        parts = []
        if content.chart_png:
            caption = texts.CHART_CAPTION.format(
                provider=name(provider.word("name", current())),
                dates=_period(start, end, provider.timezone),
            )
            chart = content.chart_png

            async def photo(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
                await context.bot.send_photo(
                    chat_id,
                    InputFile(io.BytesIO(chart), filename="themes.png"),
                    caption=caption,
                    parse_mode=ParseMode.HTML,
                    rate_limit_args=ACQUIRED,  # type: ignore[arg-type]
                )

            parts.append(Part("sendPhoto", photo, extra=True))
        markup = None
        if not content.empty:
            markup = InlineKeyboardMarkup(
                [
                    *respond_buttons(
                        digest_id, content.top_themes, content.quoted, self.labels, self.broad
                    ),
                    _csv_button(f"{PREFIX}:{CSV}:{digest_id}"),
                ]
            )

        async def text(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
            await context.bot.send_message(
                chat_id,
                content.text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                rate_limit_args=ACQUIRED,  # type: ignore[arg-type]
            )

        parts.append(Part("sendMessage", text))
        return parts

    async def _providers_of(self, update: Update) -> tuple[Who, list[Provider]]:
        """The providers this person speaks for (admins: all of them); in a team's chat, only
        that team's."""
        user, chat = update.effective_user, update.effective_chat
        assert user
        who = await self.roles.who(user.id)
        mine = [p for pid, p in self.digests.providers.items() if who.speaks_for(pid)]
        home = self.roles.home(chat.id) if chat is not None else 0
        if chat is not None and chat.type != ChatType.PRIVATE and team_chat(who, mine, home):
            mine = [p for p in mine if home in p.chats]
        return who, mine

    async def digest_now(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/digest: the digest so far this period, now, for this chat."""
        message = update.effective_message
        assert message
        who, providers = await self._providers_of(update)
        if not providers:
            await self.roles.denied(who, "/digest")
            await self.elsewhere.not_provider(message, who, context.bot.username)
            return
        if not await provider_place(who, providers, message, self.roles.home):
            return
        for provider in providers:
            start, end = self.digests.current_period(provider)
            content = await self.build(provider, message.chat_id, start, end)
            if content.chart_png:
                try:
                    await message.reply_photo(
                        InputFile(io.BytesIO(content.chart_png), filename="themes.png"),
                        caption=texts.CHART_CAPTION.format(
                            provider=name(provider.word("name", current())),
                            dates=_period(start, end, provider.timezone),
                        ),
                        parse_mode=ParseMode.HTML,
                    )
                except BadRequest as exc:
                    # A group where members may not send photos: the text still comes.
                    log.warning("a chat refused a /digest chart (%s)", exc.message)
            rows = respond_buttons(
                0, content.top_themes, content.quoted, self.labels, self.broad, since=start
            )
            if not content.empty:
                # The period so far has no digest row: the button carries the period itself.
                # Whole seconds, widened so that every item the text counted is in the file.
                span = f"{math.floor(start.timestamp())}.{math.ceil(end.timestamp())}"
                rows.append(_csv_button(f"{PREFIX}:{CSV_NOW}:{span}.{provider.id}"))
            await message.reply_text(
                content.text,
                parse_mode=ParseMode.HTML,
                reply_markup=InlineKeyboardMarkup(rows) if rows else None,
            )

    async def services(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/services: what this chat gets digests of, with a switch for each."""
        message = update.effective_message
        assert message
        who, providers = await self._providers_of(update)
        if not providers:
            await self.roles.denied(who, "/services")
            await self.elsewhere.not_provider(message, who, context.bot.username)
            return
        if not await provider_place(who, providers, message, self.roles.home):
            return
        for provider in providers:
            text, markup = await self._services_view(provider, message.chat_id)
            await message.reply_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)

    async def _services_view(
        self, provider: Provider, chat_id: int
    ) -> tuple[str, InlineKeyboardMarkup]:
        off = await self.digests.unsubscribed(chat_id)
        rows = [
            [
                InlineKeyboardButton(
                    (texts.SERVICE_OFF if s.slug in off else texts.SERVICE_ON).format(name=s.name),
                    callback_data=f"{PREFIX}:{TOGGLE}:{s.slug}",
                )
            ]
            for s in self.digests.named_in(
                current(), provider, await self.digests.all_services(provider.id)
            )[1]
        ]
        return texts.SERVICES_HEAD.format(
            provider=name(provider.word("name", current()))
        ), InlineKeyboardMarkup(rows)

    async def schedule(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/schedule: when each of my providers' digests comes."""
        message = update.effective_message
        assert message
        who, providers = await self._providers_of(update)
        if not providers:
            await self.roles.denied(who, "/schedule")
            await self.elsewhere.not_provider(message, who, context.bot.username)
            return
        if not await provider_place(who, providers, message, self.roles.home):
            return
        now = self.digests.clock()
        lines = []
        for provider in providers:
            upcoming = next_fire(provider, now)
            when = (
                dates.day_time(upcoming, ZoneInfo(provider.timezone))
                if upcoming
                else texts.SCHEDULE_NEVER
            )
            lines.append(
                texts.SCHEDULE_LINE.format(
                    provider=name(provider.word("name", current())),
                    schedule=name(dates.schedule(provider.schedule, provider.timezone)),
                    next=when,
                )
            )
        for text in pack(lines, "\n"):
            await message.reply_text(text, parse_mode=ParseMode.HTML)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The CSV button under a digest, and the service switches."""
        query = update.callback_query
        assert query and query.message
        who, providers = await self._providers_of(update)
        parts = (query.data or "").split(":", 2)
        if not providers or len(parts) != 3:
            await self.roles.denied(who, "digest button", query.data or "")
            await query.answer(texts.NOT_A_PROVIDER, show_alert=True)
            return
        _, action, arg = parts
        chat_id = query.message.chat.id
        if action == TOGGLE:
            provider = None
            for candidate in providers:
                if arg in {s.slug for s in await self.digests.all_services(candidate.id)}:
                    provider = candidate
            if provider is None:
                # Another provider's service (forged data): refused as any forged button.
                await self.roles.denied(who, "service switch", arg)
                await query.answer(texts.DIGEST_NOT_YOURS, show_alert=True)
                return
            if await self.digests.toggle(chat_id, arg, update.update_id) is None:
                return  # switched before a restart; not switched back
            text, markup = await self._services_view(provider, chat_id)
            await asyncio.gather(
                query.answer(),
                query.edit_message_text(text, reply_markup=markup, parse_mode=ParseMode.HTML),
            )
            return
        digest_id = id_number(arg)
        if action == CSV and digest_id is not None:
            row = await self.digests.get(digest_id)
            provider = next((p for p in providers if row and p.id == row.provider_id), None)
            if row is None or provider is None:
                await self.roles.denied(who, "digest csv", arg)
                await query.answer(texts.DIGEST_NOT_YOURS, show_alert=True)
                return
            counted = await self.digests.services_of_digest(provider.id, digest_id, chat_id)
            await self._send_csv(query, provider, *row.period, chat_id, counted)
            return
        if action == CSV_NOW:
            found = _period_of(arg)
            provider = next((p for p in providers if found and p.id == found[0]), None)
            if found is None or provider is None:
                await self.roles.denied(who, "digest csv", arg)
                await query.answer(texts.DIGEST_NOT_YOURS, show_alert=True)
                return
            now = await self.digests.services_for(provider.id, chat_id)
            await self._send_csv(query, provider, found[1], found[2], chat_id, now)
            return
        await self.roles.denied(who, "digest button", query.data or "")
        await query.answer(texts.MOD_PROBLEMS["stale"])

    async def _send_csv(
        self,
        query: CallbackQuery,
        provider: Provider,
        start: datetime,
        end: datetime,
        chat_id: int,
        counted: list[ServiceRow],
    ) -> None:
        """The items of one provider's period, of the services its digest counted, as a CSV
        file under the digest."""
        _, services = self.digests.named_in(current(), provider, counted)
        table = await build_csv(
            self.digests.db,
            services=services,
            period=Period(start, end),
            labels=self.labels,
            timezone=provider.timezone,
        )
        await query.answer()
        # Named after the period's first day on the provider's clock, as the caption says.
        local = start.astimezone(ZoneInfo(provider.timezone))
        # Sent to the chat, not as a reply: the digest pressed may be gone (deleted, or
        # inaccessible to the bot), and the file is wanted all the same.
        await query.get_bot().send_document(
            chat_id,
            InputFile(io.BytesIO(table), filename=f"{provider.id}-{local:%Y%m%d}.csv"),
            caption=texts.CSV_CAPTION.format(
                provider=name(provider.word("name", current())),
                dates=_period(start, end, provider.timezone),
            ),
            parse_mode=ParseMode.HTML,
        )


def _wait(exc: RetryAfter) -> timedelta:
    return timedelta(seconds=seconds(exc.retry_after))


def _period_of(arg: str) -> tuple[str, datetime, datetime] | None:
    """The provider and period a /digest's CSV button carries ("start.end.provider")."""
    first, _, rest = arg.partition(".")
    second, _, provider_id = rest.partition(".")
    start, end = id_number(first), id_number(second)
    if start is None or end is None or not provider_id or end <= start:
        return None
    try:
        return provider_id, datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
    except (OverflowError, OSError, ValueError):
        # Forged: no calendar has that date.
        return None
