"""Builds and runs the bot: storage, the python-telegram-bot Application, polling, jobs."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, time, timedelta

from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder

import handlers
from bot.asks import Asks
from bot.attachments import Attachments
from bot.chatmoves import ChatMoves
from bot.config import ConfigError, Deployment, Settings
from bot.digests import Digests, trigger
from bot.health import Heartbeat
from bot.hearing import Hearing
from bot.http import AiohttpRequest
from bot.intake import Clock, Intake, sync_services
from bot.languages import Languages
from bot.leader import Leader, instance_id
from bot.learning import Learning
from bot.logs import hide_token
from bot.media import MediaSettings
from bot.metoo import MeToo
from bot.moderation import Moderation, item_languages
from bot.outbox import Outbox
from bot.privacy import Privacy
from bot.processing import ChatOrderedProcessor, HandledMarks, Poller
from bot.ratelimit import FloodLimiter, SharedBudget
from bot.responses import Responses
from bot.roles import Roles
from bot.tagging import Tagger, load_tagger
from bot.topics import Topics
from bot.turns import ChatTurns
from bot.unreadable import Unreadable
from bot.webhook import WebhookServer, set_webhook
from handlers.commands import publish_commands
from storage.db import Database, DatabaseInUse, DatabaseUnusable, ProcessLock, utcnow
from storage.engines import STORAGE_ERRORS, database_for
from storage.postgres import PostgresDatabase
from storage.services import ServiceRow

log = logging.getLogger(__name__)

# How often the job looks for conversations that went quiet.
IDLE_CHECK_SECONDS = 60
# How often citizens whose answer a crash may have lost are looked for.
ANSWER_CHECK_SECONDS = 30
# How often items missed by the immediate path (a crash, say) are tagged and carded.
SWEEP_SECONDS = 30
# How often digests are checked for periods missed or deliveries to retry.
DIGEST_RETRY_SECONDS = 60
# How often the moderation queue's age is checked.
REMIND_CHECK_SECONDS = 300
# How often messages to citizens are looked for (new ones are also sent at once).
OUTBOX_SECONDS = 10
# How often "in progress" responses are checked for a follow-up.
FOLLOW_UP_SECONDS = 600
# How often acceptances of invitations not yet told to their provider are looked for.
TELL_SECONDS = 60
# How often messages to take back from Telegram after an erasure are looked for.
CLEAN_SECONDS = 30
# How often the words kept to undo a "me too" are checked for being past their window.
UNDO_EXPIRY_SECONDS = 3600
# How often SQLite's WAL is emptied: every update is saved as Telegram sent it before it is
# handled, so words of people who never agreed (a language question left unanswered, say)
# leave the database's files within this long, not whenever the WAL happens to be reused.
EMPTY_WAL_SECONDS = 3600
# How often claims left by instances that died are settled (the lease holder does it).
SETTLE_SECONDS = 60
# How often the model pointer is read, to pick up `nlp retrain` or `nlp rollback` run from
# the command line while the bot runs.
MODEL_CHECK_SECONDS = 60
# When the weekly retraining runs (when the deployment turns it on): Sunday night, UTC.
RETRAIN_AT = time(3, 0, tzinfo=UTC)
RETRAIN_DAYS = (0,)  # python-telegram-bot counts days from Sunday = 0


def file_url(api_url: str) -> str:
    """The Bot API's file URL that goes with its method URL (…/bot → …/file/bot)."""
    base = api_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("bot")] + "file/bot"
    return base + "/file/bot"


class YousaidBot:
    """The whole bot over one database; `start` and `stop`, or `run` until a signal."""

    def __init__(
        self,
        settings: Settings,
        deployment: Deployment,
        token: str,
        clock: Clock = utcnow,
        tagger: Tagger | None = None,
    ) -> None:
        self.settings = settings
        self.deployment = deployment
        self.clock = clock
        hide_token(token)
        # One process per SQLite file: a second would send every digest twice. On
        # PostgreSQL several instances share the database and coordinate in it instead.
        self.lock: ProcessLock | None = (
            None if settings.on_postgres else ProcessLock(settings.database_path)
        )
        self.db: Database = database_for(settings.database_url, settings.db_pool_size)
        # Claims on messages leaving carry this id, so a takeover settles only the dead's.
        self.instance = instance_id()
        self.leader = Leader(
            self.db,
            self.instance,
            settings.lease_seconds,
            on_take=self._settle_in_flight,
            alone=not settings.on_postgres,
        )
        # The theme model is loaded once, here, at start.
        self.tagger = tagger or load_tagger(settings.models_path)
        languages = item_languages(deployment)
        self.intake = Intake(
            self.db,
            clock,
            per_hour=settings.items_per_hour,
            per_day=settings.items_per_day,
            contacts=deployment.contacts(),
            metoo=MeToo(
                self.db,
                weeks=settings.metoo_weeks,
                reading=lambda text: self.tagger.reading(text, languages),
            ),
            places=deployment.places(),
        )
        # Groups of the deployment file that became supergroups, followed to their new ids.
        self.moves = ChatMoves(self.db, deployment, clock)
        self.roles = Roles(self.db, deployment, clock, self.moves)
        # Forum groups: answers in the topic asked in, the bot's own posts in the staff's.
        self.topics = Topics(self.roles, clock)
        self.learning = Learning(self.db, self.tagger, settings.models_path)
        self.moderation = Moderation(self.db, deployment, clock, self.tagger)
        self.digests = Digests(self.db, deployment, clock, self.instance)
        self.privacy = Privacy(self.db, deployment, clock)
        self.privacy.keep_media_days = settings.media_keep_days
        self.privacy.resend_within = timedelta(days=settings.resend_blocked_days)
        # Voice notes and photos in the citizen conversation (issue 17).
        self.attachments = Attachments(
            self.db,
            clock,
            MediaSettings(
                voice_max_seconds=settings.voice_max_seconds,
                transcribe=settings.transcribe,
                transcribe_seconds=settings.transcribe_seconds,
                keep_days=settings.media_keep_days,
            ),
            deployment.places(),
            # An album's photos wait for their words as long as a quiet conversation does.
            waiting=timedelta(seconds=settings.conversation_timeout),
        )
        self.responses = Responses(self.db, deployment, clock, self.tagger.broad)
        self.hearing = Hearing(self.db, clock, deployment)
        self.outbox = Outbox(
            self.db, clock, self.instance, timedelta(days=settings.resend_blocked_days)
        )
        self.asks = Asks(self.db, deployment, clock)
        self.languages = Languages(self.db, deployment, clock)
        self.languages.moves = self.moves
        self.marks = HandledMarks(self.db, clock)
        self.processor = ChatOrderedProcessor(settings.concurrent_updates, self.marks)
        self._requests = (
            AiohttpRequest(
                connection_pool_size=settings.concurrent_updates + 4,
                read_timeout=settings.telegram_timeout,
            ),
            # getUpdates waits the poll timeout plus this: a server slow to answer an empty
            # long poll is not a failing one (backoff would leave citizens unanswered).
            AiohttpRequest(connection_pool_size=1, read_timeout=settings.telegram_timeout),
        )
        self.application: Application = (  # type: ignore[type-arg]
            ApplicationBuilder()
            .token(token)
            .base_url(settings.telegram_api_url)
            .base_file_url(file_url(settings.telegram_api_url))
            .updater(None)
            .concurrent_updates(self.processor)
            .request(self._requests[0])
            .get_updates_request(self._requests[1])
            # Telegram's flood limits, kept on our side so it need not answer 429.
            .rate_limiter(
                FloodLimiter(
                    per_second=settings.max_messages_per_second,
                    group_per_minute=settings.group_messages_per_minute,
                    # Several instances share the bot token, so they share its limits.
                    shared=(
                        SharedBudget(
                            self.db,
                            per_second=settings.max_messages_per_second,
                            group_per_minute=settings.group_messages_per_minute,
                        )
                        if isinstance(self.db, PostgresDatabase)
                        else None
                    ),
                    moves=self.moves,
                    topics=self.topics,
                )
            )
            .build()
        )
        self.handlers = handlers.register(
            self.application,
            self.intake,
            self.roles,
            self.moderation,
            self.digests,
            self.privacy,
            self.responses,
            self.hearing,
            self.outbox,
            timedelta(seconds=settings.conversation_timeout),
            self.asks,
            self.languages,
            self.attachments,
            self.topics,
        )
        # An update nobody can read: its private chat is told (once), whichever mode took it.
        self.unreadable = Unreadable(self.application.bot, self.db, self.languages, clock)
        self.poller = Poller(
            self.application.bot,
            self.db,
            self.application.update_queue,
            clock,
            timeout=settings.poll_timeout,
            unreadable=self.unreadable,
            heartbeat=(
                None
                if settings.on_postgres
                else Heartbeat(settings.database_path, settings.poll_timeout)
            ),
        )
        # Webhook mode: updates arrive over HTTP, each chat's handled by one instance at a time.
        self.turns: ChatTurns | None = None
        self.webhook: WebhookServer | None = None
        if settings.webhook_url is not None:
            assert settings.webhook_secret is not None  # Settings requires it with the URL
            self.turns = ChatTurns(
                self.db,
                self.application,
                clock,
                settings.concurrent_updates,
                settings.chat_turn_seconds,
            )
            self.webhook = WebhookServer(
                self.turns,
                self.db,
                self.application.bot,
                settings.webhook_url,
                settings.webhook_secret.get_secret_value(),
                settings.webhook_address,
                unreadable=self.unreadable,
            )
        self._poll_task: asyncio.Task[None] | None = None
        self._check_task: asyncio.Task[None] | None = None

    async def _settle_in_flight(self) -> None:
        """On taking the scheduler lease: settle the sends of instances that are gone (counted
        as sent, never sent twice) and create the digests of periods missed meanwhile."""
        await self.digests.recover()
        await self.outbox.recover()
        await self.digests.schedule()

    async def _empty_wal_job(self, context: object) -> None:
        """Job: empty SQLite's WAL (a no-op on PostgreSQL)."""
        await self.db.checkpoint()

    async def _settle_job(self, context: object) -> None:
        """Job: settle the sends of instances that died since."""
        await self.digests.recover()
        await self.outbox.recover()

    async def start(self) -> None:
        """Open storage, connect to Telegram, handle what was left over, start polling.

        A database that is in use by another process, or cannot be opened, is a ConfigError.
        """
        try:
            if self.lock is not None:
                self.lock.acquire()
            await self.db.open()
        except (DatabaseInUse, DatabaseUnusable) as exc:
            if self.lock is not None:
                self.lock.release()
            raise ConfigError(str(exc)) from None
        await sync_services(
            self.db,
            [
                ServiceRow(s.slug, s.name, s.description, s.provider)
                for s in self.deployment.services
            ],
        )
        # Before anything is sent: where the file's groups are now, if they moved.
        await self.moves.load()
        await self.application.initialize()
        # Before the menus: a person whose role the file took away gets the citizen's.
        await self.roles.settle_with_file()
        try:
            await publish_commands(
                self.application.bot,
                self.deployment,
                await self.roles.ever_held(),
                where=self.moves.current,
            )
        except InvalidToken:
            raise
        except TelegramError as exc:
            # The menus are a convenience (every command works typed): none is no reason
            # to serve nobody.
            log.warning(
                "the command menus were not registered (%s); the next start tries again", exc
            )
        await self.application.start()
        job_queue = self.application.job_queue
        assert job_queue is not None, "install python-telegram-bot[job-queue]"
        # Before any job: on SQLite this process holds the lease at once, and on taking it
        # the work left in flight by instances that are gone is settled.
        await self.leader.start()
        # Every instance schedules every job; only the lease holder's runs do anything.
        only = self.leader.only
        job_queue.run_repeating(
            only(self.handlers.citizen.expire_idle),
            interval=IDLE_CHECK_SECONDS,
            first=IDLE_CHECK_SECONDS,
            name="expire-idle-conversations",
        )
        job_queue.run_repeating(
            only(self.handlers.citizen.answer_again),
            interval=ANSWER_CHECK_SECONDS,
            first=ANSWER_CHECK_SECONDS,
            name="answer-again-after-a-crash",
        )
        job_queue.run_repeating(
            only(self.handlers.moderator.sweep),
            interval=SWEEP_SECONDS,
            first=1,
            name="moderation-sweep",
        )
        for provider in self.deployment.providers:
            # On time, per provider. A run that starts late still runs, and runs that pile up
            # coalesce into one; periods missed while the bot was down are not APScheduler's
            # business (it keeps jobs in memory): the database catch-up covers them.
            job_queue.run_custom(
                only(self.handlers.provider.deliver),
                job_kwargs={
                    "trigger": trigger(provider),
                    "coalesce": True,
                    "misfire_grace_time": None,
                    "max_instances": 1,
                },
                name=f"digest:{provider.id}",
            )
        job_queue.run_repeating(
            only(self.handlers.provider.deliver),
            interval=DIGEST_RETRY_SECONDS,
            first=1,
            name="digest-catch-up",
        )
        job_queue.run_repeating(
            only(self.handlers.privacy.retention),
            interval=timedelta(days=1),
            first=timedelta(minutes=5),
            name="retention",
        )
        job_queue.run_repeating(
            only(self.handlers.privacy.expire_undos),
            interval=UNDO_EXPIRY_SECONDS,
            first=UNDO_EXPIRY_SECONDS,
            name="expire-me-too-undos",
        )
        job_queue.run_repeating(
            only(self._empty_wal_job),
            interval=EMPTY_WAL_SECONDS,
            first=EMPTY_WAL_SECONDS,
            name="empty-wal",
        )
        # Messages carrying forgotten citizens' words, taken back from Telegram (with retries).
        job_queue.run_repeating(
            only(self.handlers.privacy.clean),
            interval=CLEAN_SECONDS,
            first=1,
            name="take-back-messages",
        )
        job_queue.run_repeating(
            only(self.handlers.moderator.remind),
            interval=REMIND_CHECK_SECONDS,
            first=REMIND_CHECK_SECONDS,
            name="moderation-reminder",
        )
        job_queue.run_repeating(
            only(self.handlers.sender.send),
            interval=OUTBOX_SECONDS,
            first=1,
            name="send-to-citizens",
        )
        # Messages any instance was sending when it died (not only the lease holder sends).
        job_queue.run_repeating(
            only(self._settle_job),
            interval=SETTLE_SECONDS,
            first=SETTLE_SECONDS,
            name="settle-in-flight",
        )
        job_queue.run_repeating(
            only(self.handlers.responses.follow_up),
            interval=FOLLOW_UP_SECONDS,
            first=30,
            name="response-follow-up",
        )
        # Acceptances of invitations are told at once; this catches any a stop interrupted.
        job_queue.run_repeating(
            only(self.handlers.asks.tell_providers),
            interval=TELL_SECONDS,
            first=TELL_SECONDS,
            name="tell-acceptances",
        )
        # Every instance loads its own model, so every instance looks for a new one.
        job_queue.run_repeating(
            self.learning.refresh_job,
            interval=MODEL_CHECK_SECONDS,
            first=MODEL_CHECK_SECONDS,
            name="model-check",
        )
        if self.settings.retrain_weekly:
            job_queue.run_daily(
                only(self.learning.retrain_job), time=RETRAIN_AT, days=RETRAIN_DAYS, name="retrain"
            )
        if self.turns is not None and self.webhook is not None:
            await self._start_webhook(self.turns, self.webhook)
        else:
            await self.poller.recover()
            self._poll_task = asyncio.create_task(self.poller.run(), name="poller")
        # After polling is under way, so that a slow or missing chat holds nothing up.
        self._check_task = asyncio.create_task(
            check_chats(self.application.bot, self.deployment), name="check-chats"
        )
        log.info("bot @%s is running", self.application.bot.username)

    async def _start_webhook(self, turns: ChatTurns, webhook: WebhookServer) -> None:
        """Serve the webhook, handle what is waiting, and set the webhook (one instance)."""
        settings = self.settings
        assert settings.webhook_url is not None and settings.webhook_secret is not None
        # SQLite has one process, so no turn recorded before this start can be live.
        await turns.start(alone=not settings.on_postgres)
        await webhook.start()
        await set_webhook(
            self.application.bot,
            self.db,
            self.clock,
            settings.webhook_url,
            settings.webhook_secret.get_secret_value(),
            settings.webhook_max_connections,
        )
        webhook.ready = True

    async def stop(self) -> None:
        """Stop polling, finish the updates in hand, close storage.

        Updates saved but not begun are left for the next start, so a backlog of
        thousands does not hold the stop up.
        """
        check, self._check_task = self._check_task, None
        if check is not None:
            check.cancel()
            await asyncio.gather(check, return_exceptions=True)
        poll, self._poll_task = self._poll_task, None
        if poll is not None:
            poll.cancel()
            # What ended polling, if anything, was raised by `run` already.
            await asyncio.gather(poll, return_exceptions=True)
        if self.webhook is not None and self.turns is not None:
            # 503 to new requests, save those in hand, finish the updates being handled.
            await self.webhook.stop_taking()
            await self.turns.stop()
            await self.webhook.close()
        # A database locked by another process is no longer waited for.
        self.db.stop_waiting()
        self.processor.stopping = True
        self.handlers.moderator.stopping = True
        self.handlers.provider.stopping = True
        self.handlers.sender.stopping = True
        self.handlers.privacy.stopping = True
        limiter = self.application.bot.rate_limiter
        if isinstance(limiter, FloodLimiter):
            # A reply waiting out Telegram's 429 (minutes, maybe) is not waited for.
            limiter.stop_waiting()
        try:
            await self.unreadable.close()
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()
            # Closed here too: python-telegram-bot skips it when start failed early.
            for request in self._requests:
                await request.shutdown()
            await self.leader.stop()
            try:
                await self.marks.close()
            except (DatabaseUnusable, *STORAGE_ERRORS) as exc:  # type: ignore[misc]
                # Said once already by `run`, or a database locked by another program that
                # a stop does not wait for; those updates are handled again at the next
                # start, which is harmless.
                log.info("handled updates not marked at stop: %s", exc)
        finally:
            # Always close the database: its threads would keep the process alive.
            if self.intake.metoo is not None:
                await self.intake.metoo.close()
            await self.db.close()
            if self.lock is not None:
                self.lock.release()

    async def __aenter__(self) -> YousaidBot:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def run(self) -> None:
        """Run until SIGINT or SIGTERM, or until a fault that cannot pass, which is raised:
        polling ended (a refused token, say) or the database cannot be written."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await self.start()
            poll = self._poll_task
            waiter = asyncio.create_task(stop.wait())
            broken = asyncio.create_task(self.db.wait_broken())
            watched = {waiter, broken} if poll is None else {poll, waiter, broken}
            done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            broken.cancel()
            if broken in done:
                raise broken.result()
            if poll is not None and poll in done:
                poll.result()  # re-raises what stopped polling (a refused token, say)
        finally:
            await self.stop()


# What to do about a chat of the deployment file the bot cannot reach.
MODERATORS_ADVICE = (
    "add the bot to the moderators' group, send /id there and put that id in the deployment"
    " file as moderators_chat"
)
PROVIDER_ADVICE = (
    "add the bot to the team's group, send /id there and put that id in the provider's chats"
    " in the deployment file"
)


async def check_chats(bot: Bot, deployment: Deployment) -> None:
    """Log one warning for each chat of the deployment file the bot cannot reach.

    A chat that is missing (an example id left in place, say) otherwise shows only later, as
    a card or digest that was not posted. Network faults are no verdict: that chat is skipped.
    """
    checks: list[tuple[str, int, str]] = []
    if deployment.moderators_chat is not None:
        checks.append(("moderators_chat", deployment.moderators_chat, MODERATORS_ADVICE))
    for provider in deployment.providers:
        checks += [
            (f"provider {provider.id}: chat", chat, PROVIDER_ADVICE) for chat in provider.chats
        ]
    if not checks:
        return
    reached = unknown = 0
    for setting, chat_id, advice in checks:
        try:
            problem = await _chat_problem(bot, chat_id)
        except TelegramError as exc:
            # Telegram not answering says nothing about the chat; the bot goes on regardless.
            log.info("chat %s not checked: %s", chat_id, exc)
            unknown += 1
            continue
        if problem is None:
            reached += 1
        else:
            log.warning("%s %s cannot be reached (%s): %s", setting, chat_id, problem, advice)
    if reached == len(checks):
        log.info("all %d chats of the deployment file can be reached", reached)
    else:
        not_checked = f" ({unknown} not checked)" if unknown else ""
        log.info(
            "%d of %d chats of the deployment file can be reached%s",
            reached,
            len(checks),
            not_checked,
        )


async def _chat_problem(bot: Bot, chat_id: int) -> str | None:
    """Why the bot cannot post in this chat, or None when it can; other faults are raised."""
    try:
        await bot.get_chat(chat_id)
        member = await bot.get_chat_member(chat_id, bot.id)
    except (BadRequest, Forbidden) as exc:
        # Telegram's own answer about this chat: unknown to it, or closed to the bot.
        return exc.message
    if member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        return "the bot is not a member"
    if member.status == ChatMemberStatus.RESTRICTED and not getattr(
        member, "can_send_messages", True
    ):
        return "the bot may not send messages there"
    return None
