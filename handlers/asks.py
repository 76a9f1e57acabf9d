"""Asks: providers' questions and invitations (/ask, /invite_people, /involved), the
moderators' approval, citizens' answers and acceptances, and messages relayed between a
provider and a citizen who accepted."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from zoneinfo import ZoneInfo

from telegram import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError, TimedOut
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import dates
from bot.asks import (
    MAX_RELAY,
    MAX_TEXT,
    Accepted,
    Asks,
    Decided,
    Kind,
    LanguageAdded,
    NeedsLanguage,
    Problem,
    Proposed,
    Relayed,
    Share,
    Told,
)
from bot.chatmoves import Move
from bot.digests import Digests
from bot.i18n import current, speaking
from bot.intake import Step
from bot.languages import endonym
from bot.privacy import Privacy
from bot.roles import Roles, Who, services_spoken_for
from handlers import safely, texts
from handlers.citizen import render as render_step
from handlers.common import id_number
from handlers.fitting import cut, fit, name, pack, person, pieces, quote
from handlers.outbox import OutboxSender, Rendered
from handlers.places import Elsewhere, here, provider_place
from handlers.responses import keep_writing, languages_named
from handlers.texts import esc
from storage.asks import Acceptance, Ask
from storage.db import parse_stamp
from storage.drafts import Draft
from storage.outbox import OutboxRow

log = logging.getLogger(__name__)

# Callback data. Moderators: q:a:<ask> approve, q:r:<ask> reject. Citizens: k:a:<ask>
# answer, k:o:<ask> no more about the service, k:n:<ask> / k:b:<ask> accept sharing the
# name / only through the bot, k:d:<ask> decline, k:r:<acceptance> reply to the provider.
# Providers: w:<acceptance> write to the citizen, w:m:<writer> leave the languages not yet
# written to a moderator. Moderators, in a bilingual deployment: q:l:<ask>:<language> add
# that language's words.
MODERATE, CITIZEN, WRITE = "q", "k", "w"
SHARES = {"n": Share.NAME, "b": Share.RELAY}
DRAFT_KINDS = frozenset({Kind.QUESTION.value, Kind.INVITATION.value, "relay", "ask_text"})
SHORT = 80


def _short(text: str) -> str:
    return text if len(text) <= SHORT else cut(text, SHORT - 1) + "…"


def _button(label: str, data: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(label, callback_data=data)]


def _problem(problem: Problem, limit: int = MAX_TEXT, slugs: str = "") -> str:
    """Why something about an ask did nothing, kindly."""
    if problem is Problem.NOT_WAITING:
        return texts.LANG_NOT_WAITING
    return texts.ASKS_PROBLEMS[problem].format(slugs=slugs, limit=limit)


class AskHandlers:
    """Telegram side of questions and invitations, bound to the asks core."""

    def __init__(
        self,
        asks: Asks,
        roles: Roles,
        digests: Digests,
        sender: OutboxSender,
        moderators_chat: int | None,
        privacy: Privacy | None = None,
    ) -> None:
        self.asks = asks
        self.roles = roles
        self.elsewhere = Elsewhere(roles)
        self.digests = digests
        self.sender = sender
        self.moderators_chat = moderators_chat
        # Records what a citizen said or shared in providers' chats, taken back on /forget.
        self.privacy = privacy
        sender.register(Kind.QUESTION.value, self.render)
        sender.register(Kind.INVITATION.value, self.render)

    def _service(self, slug: str, stored: str) -> str:
        """A service's name in the language spoken now (`name_cy = ...`), else as stored."""
        return self.sender.languages.service_name(slug, stored)

    def _provider(self, provider_id: str) -> str:
        """A provider's name in the language spoken now, else as the file gives it."""
        return self.sender.languages.provider_name(
            provider_id, self.asks.provider_name(provider_id)
        )

    # ------------------------------------------------------------------ providers

    async def ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/ask <service>: write a question to the people who opted in for it."""
        await self._begin(update, context, Kind.QUESTION)

    async def invite(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/invite_people <service>: invite those who would like to be involved."""
        await self._begin(update, context, Kind.INVITATION)

    def _here(self, who: Who, message: Message) -> Who:
        """In a team's chat, only that team's services (as /respond: its members may not read
        another service's invitations or ask about it there)."""
        private = message.chat.type == ChatType.PRIVATE
        return here(who, self.digests.providers.values(), self.roles.home(message.chat_id), private)

    async def _begin(self, update: Update, context: ContextTypes.DEFAULT_TYPE, kind: Kind) -> None:
        message, user = update.effective_message, update.effective_user
        assert message and user
        command = "/ask" if kind is Kind.QUESTION else "/invite_people"
        who = await self.elsewhere.provider_allowed(update, context.bot.username, command)
        if who is None:
            return
        if not await provider_place(who, self.digests.providers.values(), message, self.roles.home):
            return
        who = self._here(who, message)
        mine = await services_spoken_for(self.asks.db, who)
        slugs = ", ".join(f"<code>{esc(s.slug)}</code>" for s in mine)
        if not mine:
            await message.reply_text(texts.ASKS_NO_SERVICES)
            return
        if not context.args:
            await message.reply_text(
                texts.ASKS_USAGE[kind.value].format(slugs=slugs), parse_mode=ParseMode.HTML
            )
            return
        found = await self.asks.begin(who, message.chat_id, kind, context.args[0], update.update_id)
        if found is Problem.REPLAYED:
            return  # begun before a restart (and asked then)
        if isinstance(found, Problem):
            if found is Problem.NOT_ALLOWED:
                await self.roles.denied(who, f"ask about {context.args[0]}", kind.value)
            await message.reply_text(
                texts.ASKS_PROBLEMS[found].format(slugs=slugs, limit=MAX_TEXT),
                parse_mode=ParseMode.HTML,
            )
            return
        mention = f'<a href="tg://user?id={user.id}">{person(user.first_name)}</a>'
        await message.reply_text(
            texts.ASKS_PROMPT[kind.value].format(
                mention=mention,
                service=name(await self.asks.service_name(found.service_slug or "")),
                limit=MAX_TEXT,
            ),
            parse_mode=ParseMode.HTML,
            reply_markup=keep_writing(message),
        )

    async def words(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any text (runs before the other handlers): the words of a question, invitation or
        relayed message being written here. Anything else passes on."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        draft = await self.asks.draft(user.id, message.chat_id)
        if draft is None or draft.kind not in DRAFT_KINDS:
            return
        who = await self.roles.who(user.id)
        if draft.kind == "relay":
            relayed = await self.asks.relay(who, message.chat_id, update.update_id, message.text)
            if relayed is None:
                return
            await self._relayed(message, context, who, relayed)
            raise ApplicationHandlerStop
        if draft.kind == "ask_text":
            await self._add_language(update, message, who)
            raise ApplicationHandlerStop
        proposed = await self.asks.propose(who, message.chat_id, update.update_id, message.text)
        if proposed is None:
            return
        if isinstance(proposed, NeedsLanguage):
            author = proposed.draft.author
            await message.reply_text(
                texts.LANG_SAME_IN.format(language=endonym(proposed.language)),
                reply_markup=InlineKeyboardMarkup(
                    [
                        [
                            InlineKeyboardButton(
                                texts.LANG_MODERATOR_WILL_ADD, callback_data=f"{WRITE}:m:{author}"
                            ),
                            InlineKeyboardButton(texts.RESPOND_CANCEL, callback_data="o:x"),
                        ]
                    ]
                ),
            )
        elif isinstance(proposed, Proposed):
            await self._proposed(message, context, proposed)
        elif proposed is not Problem.REPLAYED:
            if proposed is Problem.NOT_ALLOWED:
                await self.roles.denied(who, "ask words", str(draft.service_slug))
            await message.reply_text(
                _problem(proposed),
                # Still open for better words, except when it was refused.
                reply_markup=None if proposed is Problem.NOT_ALLOWED else keep_writing(message),
            )
        raise ApplicationHandlerStop

    async def _proposed(
        self, message: Message, context: ContextTypes.DEFAULT_TYPE, done: Proposed
    ) -> None:
        ask = done.ask
        service = name(await self.asks.service_name(ask.service_slug))
        await message.reply_text(
            texts.ASKS_PROPOSED.format(
                done.audience, what=texts.ASKS_WHAT[ask.kind], service=service
            ),
            parse_mode=ParseMode.HTML,
        )
        if self.moderators_chat is None:
            return
        author = message.from_user.first_name if message.from_user else ""
        await self._post_card(context, done, author, self.moderators_chat)

    async def _post_card(
        self, context: ContextTypes.DEFAULT_TYPE, done: Proposed, author: str, chat_id: int
    ) -> None:
        """The moderators' card of an ask waiting for them, with its buttons; where it is,
        remembered."""
        ask = done.ask
        # The card is read in the moderators' chat: in its language, not the provider's.
        with speaking(self.roles.deployment.moderators_language):
            service = name(await self.asks.service_name(ask.service_slug))
            text, _ = fit(
                lambda words: (
                    texts.ASKS_CARD.format(
                        done.audience,
                        icon=texts.ASKS_ICON[ask.kind],
                        what=texts.ASKS_CARD_WHAT[ask.kind],
                        provider=name(self.asks.provider_name(ask.provider_id)),
                        service=service,
                        author=person(author),
                        text=quote(words),
                    )
                    + (
                        texts.LANG_ASK_CARD_WAITING.format(languages=languages_named(done.missing))
                        if done.missing
                        else ""
                    )
                ),
                ask.text,
            )
            # A language the provider left: a button to add it (approval waits for it).
            rows = [
                _button(
                    texts.LANG_ADD_BUTTON.format(language=endonym(lang)),
                    f"{MODERATE}:l:{ask.id}:{lang}",
                )
                for lang in done.missing
            ]
            rows.append(
                [
                    InlineKeyboardButton(
                        texts.ASKS_APPROVE, callback_data=f"{MODERATE}:a:{ask.id}"
                    ),
                    InlineKeyboardButton(texts.ASKS_REJECT, callback_data=f"{MODERATE}:r:{ask.id}"),
                ]
            )
            try:
                card = await context.bot.send_message(
                    chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=InlineKeyboardMarkup(rows),
                )
            except TelegramError as exc:
                log.warning("ask %s not shown to the moderators: %s", ask.id, exc)
                return
            await self.asks.card_posted(ask.id, card.chat_id, card.message_id)

    async def post_again(self, context: ContextTypes.DEFAULT_TYPE, move: Move) -> None:
        """The moderators' group became a supergroup: the cards of the asks still waiting
        in the old one (no longer pressable there) are posted again where it is now."""
        for ask_id in move.asks:
            done = await self.asks.still_proposed(ask_id)
            if done is None:
                continue  # decided meanwhile: nothing to press
            author = await self.asks.author_name(done.ask)
            await self._post_card(context, done, author or str(done.ask.author), move.new)

    async def involved(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/involved: how many would like to be involved, per service; how each invitation
        went. Counts only."""
        message = update.effective_message
        assert message
        who = await self.elsewhere.provider_allowed(update, context.bot.username, "/involved")
        if who is None:
            return
        if not await provider_place(who, self.digests.providers.values(), message, self.roles.home):
            return
        found = await self.asks.involvement(self._here(who, message))
        lines = [texts.ASKS_INVOLVED_HEAD]
        lines += [
            texts.ASKS_INVOLVED_LINE.format(service=name(service.name), count=count)
            for service, count in found.services
        ]
        lines.append("")
        if found.invitations:
            lines.append(texts.ASKS_INVOLVED_INVITATIONS)
            names = {s.slug: s.name for s, _ in found.services}
            for counted in found.invitations:
                ask = counted.ask
                provider = self.digests.providers.get(ask.provider_id)
                zone = ZoneInfo(provider.timezone) if provider else None
                date = parse_stamp(ask.decided_at or ask.created_at).astimezone(zone)
                lines.append(
                    texts.ASKS_INVOLVED_INVITATION.format(
                        service=name(names.get(ask.service_slug, ask.service_slug)),
                        date=dates.day(date),
                        text=quote(_short(ask.text)),
                        sent=counted.sent,
                        accepted=counted.accepted,
                        declined=counted.declined,
                    )
                )
        else:
            lines.append(texts.ASKS_INVOLVED_NO_INVITATIONS)
        for text in pack(lines, "\n"):
            await message.reply_text(text, parse_mode=ParseMode.HTML)

    # ----------------------------------------------------------------- moderators

    async def moderate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Approve or reject a question or invitation (moderators only)."""
        query, user = update.callback_query, update.effective_user
        assert query and user
        who = await self.roles.who(user.id)
        parts = (query.data or "").split(":")
        if not who.moderates:
            await self.roles.denied(who, "ask card button", query.data or "")
            await safely.answer(query.answer(texts.NOT_ALLOWED_BUTTON, show_alert=True))
            return
        if len(parts) >= 2 and parts[1] == "l":
            await self._begin_language(query, who, parts, update.update_id)
            return
        ask_id = id_number(parts[2]) if len(parts) == 3 else None
        if ask_id is None or parts[1] not in ("a", "r"):
            await self.roles.denied(who, "malformed ask card button", query.data or "")
            await safely.answer(query.answer(texts.ASKS_PROBLEMS[Problem.NO_SUCH_ASK]))
            return
        decided = await self.asks.decide(who, ask_id, approve=parts[1] == "a")
        if decided is Problem.NEEDS_LANGUAGE:
            missing = await self.asks.missing(ask_id)
            await safely.answer(
                query.answer(
                    texts.LANG_ASK_APPROVE_FIRST.format(languages=languages_named(missing)),
                    show_alert=True,
                )
            )
            return
        if isinstance(decided, Problem):
            await safely.answer(query.answer(_problem(decided), show_alert=True))
            return
        await safely.answer(query.answer())
        await self._decided(query, context, decided)

    async def _begin_language(
        self, query: CallbackQuery, who: Who, parts: list[str], update_id: int
    ) -> None:
        """A moderator's "Add Cymraeg" on a question's card: their next words are that
        language's."""
        message = query.message
        ask_id = id_number(parts[2]) if len(parts) == 4 else None
        found: Draft | Problem = Problem.NOT_WAITING
        if ask_id is not None and isinstance(message, Message):
            found = await self.asks.begin_language(
                who, message.chat_id, ask_id, parts[3], update_id
            )
        if found is Problem.REPLAYED:
            return
        if isinstance(found, Problem) or ask_id is None or not isinstance(message, Message):
            await safely.answer(query.answer(texts.LANG_NOT_WAITING, show_alert=True))
            return
        await safely.answer(query.answer())
        ask = await self.asks.get(ask_id)
        mention = (
            f'<a href="tg://user?id={who.telegram_id}">{person(query.from_user.first_name)}</a>'
        )
        text, _ = fit(
            lambda words: texts.LANG_ADD_ASK_PROMPT.format(
                mention=mention, id=ask_id, language=endonym(parts[3]), text=quote(words)
            ),
            ask.text if ask else "",
        )
        await message.reply_text(
            text, parse_mode=ParseMode.HTML, reply_markup=ForceReply(selective=True)
        )

    async def _add_language(self, update: Update, message: Message, who: Who) -> None:
        """A moderator's words in a language a proposed question lacked."""
        added = await self.asks.add_language(
            who, message.chat_id, update.update_id, message.text or ""
        )
        if added is None or added is Problem.REPLAYED:
            return
        if isinstance(added, Problem):
            if added is Problem.NOT_ALLOWED:
                await self.roles.denied(who, "add ask language words")
            await message.reply_text(
                _problem(added),
                reply_markup=ForceReply(selective=True)
                if added in (Problem.EMPTY, Problem.TOO_LONG)
                else None,
            )
            return
        assert isinstance(added, LanguageAdded)
        moderator = person(message.from_user.first_name if message.from_user else "")
        await message.reply_text(
            texts.LANG_ASK_ADDED.format(
                language=endonym(added.language), id=added.ask.id, who=moderator
            ),
            parse_mode=ParseMode.HTML,
        )

    async def _decided(
        self, query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, done: Decided
    ) -> None:
        ask = done.ask
        approved = ask.state == "approved"
        if approved:
            self.sender.kick(context)
        moderator = person(query.from_user.first_name)
        note = (
            texts.ASKS_CARD_APPROVED.format(done.recipients, who=moderator)
            if approved
            else texts.ASKS_CARD_REJECTED.format(who=moderator)
        )
        card = query.message
        if isinstance(card, Message) and card.text_html is not None:
            try:
                await card.edit_text(
                    card.text_html + "\n\n" + note, parse_mode=ParseMode.HTML, reply_markup=None
                )
            except BadRequest as exc:
                log.info("ask card %s not updated: %s", ask.id, exc.message)
        stored = await self.asks.service_name(ask.service_slug)
        # A moderator's press, read in the author's chat: in that chat's language.
        with speaking(await self.digests.language_of(ask.author_chat)):
            service = name(self._service(ask.service_slug, stored))
            what = texts.ASKS_WHAT[ask.kind]
            text, _ = fit(
                lambda words: (
                    texts.ASKS_APPROVED_AUTHOR.format(
                        done.recipients, what=what, service=service, text=quote(words)
                    )
                    if approved
                    else texts.ASKS_REJECTED_AUTHOR.format(
                        what=what, service=service, text=quote(words)
                    )
                ),
                ask.text,
            )
        try:
            await context.bot.send_message(ask.author_chat, text, parse_mode=ParseMode.HTML)
        except (Forbidden, BadRequest) as exc:
            log.info("author of ask %s not told: %s", ask.id, exc.message)

    # ------------------------------------------------------------------- citizens

    async def render(self, row: OutboxRow) -> Rendered | None:
        """A queued question or invitation as its citizen reads it."""
        # In the citizen's language (the sender speaks it while this runs).
        found = await self.asks.message(row.kind, row.ref_id, row.citizen_id, current())
        if found is None:
            return None
        ask = found.ask
        fields = {"provider": name(found.provider_name), "service": name(found.service_name)}
        opt_out = _button(
            texts.ASKS_OPT_OUT.format(service=found.service_name), f"{CITIZEN}:o:{ask.id}"
        )
        if ask.kind == Kind.QUESTION:
            rows = [_button(texts.ASKS_ANSWER, f"{CITIZEN}:a:{ask.id}"), opt_out]
            text, _ = fit(
                lambda words: texts.ASKS_QUESTION.format(text=quote(words), **fields), found.text
            )
            return text, InlineKeyboardMarkup(rows)
        rows = [
            _button(texts.ASKS_ACCEPT_NAME, f"{CITIZEN}:n:{ask.id}"),
            _button(texts.ASKS_ACCEPT_RELAY, f"{CITIZEN}:b:{ask.id}"),
            _button(texts.ASKS_DECLINE, f"{CITIZEN}:d:{ask.id}"),
            opt_out,
        ]
        text, _ = fit(
            lambda words: texts.ASKS_INVITATION.format(text=quote(words), **fields), found.text
        )
        return text, InlineKeyboardMarkup(rows)

    async def citizen(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A citizen's button under a question, an invitation or a relayed message."""
        query, user = update.callback_query, update.effective_user
        assert query and user
        parts = (query.data or "").split(":")
        ref = id_number(parts[2]) if len(parts) == 3 else None
        if ref is None:
            await safely.answer(
                query.answer(texts.ASKS_PROBLEMS[Problem.NOT_YOURS], show_alert=True)
            )
            return
        action = parts[1]
        message = query.message if isinstance(query.message, Message) else None
        result: object
        if action == "a":
            result = await self.asks.answer(update.update_id, user.id, ref)
            if isinstance(result, Step):
                await safely.answer(query.answer())
                text, markup = render_step(result)
                await _reply(message, text, markup)
                return
        elif action == "o":
            result = await self.asks.opt_out(update.update_id, user.id, ref)
            if not isinstance(result, Problem):
                await safely.answer(query.answer())
                await _drop_buttons(message, lambda data: data.startswith(f"{CITIZEN}:o:"))
                await _reply(message, texts.ASKS_OPTED_OUT.format(service=name(result)))
                return
        elif action in SHARES:
            share = SHARES[action]
            result = await self.asks.accept(
                update.update_id, user.id, ref, share, user.first_name, user.username
            )
            if isinstance(result, Accepted):
                await safely.answer(query.answer())
                await _drop_buttons(message, lambda data: not data.startswith(f"{CITIZEN}:o:"))
                await _reply(message, self._accepted_text(result, user.username))
                await self.tell_providers(context)
                return
        elif action == "d":
            result = await self.asks.decline(update.update_id, user.id, ref)
            if result is None:
                await safely.answer(query.answer())
                await _drop_buttons(message, lambda data: not data.startswith(f"{CITIZEN}:o:"))
                await _reply(message, texts.ASKS_DECLINED)
                return
        elif action == "r":
            result = await self.asks.begin_reply(user.id, ref, update.update_id)
            if isinstance(result, Draft):
                await safely.answer(query.answer())
                provider = name(self.asks.provider_name(result.provider_id))
                await _reply(
                    message,
                    texts.ASKS_REPLY_PROMPT.format(provider=provider),
                    ForceReply(),
                )
                return
        else:
            result = Problem.NOT_YOURS
        if result is Problem.REPLAYED:
            return
        if result is Problem.NOT_YOURS:
            # Forged or someone else's button: recorded, like refused staff buttons.
            await self.roles.denied(await self.roles.who(user.id), "ask button", query.data or "")
        problem = result if isinstance(result, Problem) else Problem.NOT_YOURS
        await safely.answer(query.answer(texts.ASKS_PROBLEMS[problem], show_alert=True))

    def _accepted_text(self, accepted: Accepted, username: str | None) -> str:
        provider = name(self.asks.provider_name(accepted.ask.provider_id))
        if accepted.acceptance.share == Share.NAME:
            return texts.ASKS_ACCEPTED_NAME.format(
                provider=provider, username=texts.ASKS_ACCEPTED_USERNAME if username else ""
            )
        return texts.ASKS_ACCEPTED_RELAY.format(provider=provider)

    async def tell_providers(self, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Tell providers about acceptances they have not heard of (each told once)."""
        told = 0
        for found in await self.asks.to_tell():
            provider = self.digests.providers.get(found.ask.provider_id)
            if provider is None:
                continue
            reached = failed = False
            for chat_id in await self.digests.provider_chats(provider):
                # A citizen's press (or a job), read in each chat: in that chat's language.
                with speaking(await self.digests.language_of(chat_id)):
                    text = self._told_text(found)
                    markup = InlineKeyboardMarkup(
                        [_button(texts.ASKS_WRITE, f"{WRITE}:{found.acceptance.id}")]
                    )
                try:
                    sent = await context.bot.send_message(
                        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
                    )
                    told += 1
                    reached = True
                except (Forbidden, BadRequest) as exc:
                    log.info("acceptance %s not told to a chat: %s", found.acceptance.id, exc)
                    continue
                except TelegramError as exc:
                    # One chat failing does not keep the news from the provider's others.
                    log.warning("acceptance %s to a chat failed: %s", found.acceptance.id, exc)
                    # A timeout may have delivered it: counted as reached (never told twice).
                    reached = reached or isinstance(exc, TimedOut)
                    failed = failed or not isinstance(exc, TimedOut)
                    continue
                if self.privacy is not None:
                    await self.privacy.relayed_to_staff(
                        found.acceptance.id, sent.chat_id, sent.message_id
                    )
            if failed and not reached:
                # Telegram failed for every chat it was tried in: the next run tells again
                # (a chat that got it is never told twice: then it stays told).
                await self.asks.not_told(found)
        return told

    def _told_text(self, found: Told) -> str:
        acceptance = found.acceptance
        service = self._service(found.ask.service_slug, found.service_name)
        fields = {"service": name(service), "text": quote(_short(found.ask.text))}
        if acceptance.share == Share.NAME:
            username = (
                texts.ASKS_TOLD_USERNAME.format(username=name(acceptance.username))
                if acceptance.username
                else ""
            )
            return texts.ASKS_TOLD_NAME.format(
                name=person(acceptance.first_name or ""), username=username, **fields
            )
        return texts.ASKS_TOLD_RELAY.format(**fields)

    # ------------------------------------------------------------------- relaying

    async def write(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A provider's "write to them" under an acceptance."""
        query, user = update.callback_query, update.effective_user
        assert query and user
        parts = (query.data or "").split(":")
        who = await self.roles.who(user.id)
        message = query.message if isinstance(query.message, Message) else None
        if len(parts) == 3 and parts[1] == "m":
            await self._leave_language(update, context, who, parts[2])
            return
        found: Draft | Problem = Problem.NOT_ALLOWED
        relayed = id_number(parts[1]) if len(parts) == 2 else None
        if relayed is not None and message is not None:
            found = await self.asks.begin_relay(who, message.chat_id, relayed, update.update_id)
        if found is Problem.REPLAYED:
            return
        if isinstance(found, Problem):
            await self.roles.denied(who, "write to a citizen", query.data or "")
            await safely.answer(query.answer(texts.NOT_ALLOWED, show_alert=True))
            return
        await safely.answer(query.answer())
        mention = f'<a href="tg://user?id={user.id}">{person(user.first_name)}</a>'
        assert message is not None
        await _reply(
            message, texts.ASKS_RELAY_PROMPT.format(mention=mention), keep_writing(message)
        )

    async def _leave_language(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, writer: str
    ) -> None:
        """ "A moderator will add it" under a question's first words: proposed as it is."""
        query = update.callback_query
        assert query is not None
        message = query.message if isinstance(query.message, Message) else None
        if writer != str(who.telegram_id) or message is None:
            await safely.answer(query.answer(texts.RESPOND_NOT_YOURS, show_alert=True))
            return
        proposed = await self.asks.propose(who, message.chat_id, update.update_id, "", leave=True)
        if proposed is Problem.REPLAYED:
            return
        if not isinstance(proposed, Proposed):
            await safely.answer(query.answer(texts.LANG_NOT_WAITING, show_alert=True))
            return
        await safely.answer(query.answer())
        await safely.quietly(message.edit_reply_markup(None))
        await self._proposed(message, context, proposed)

    async def _relayed(
        self,
        message: Message,
        context: ContextTypes.DEFAULT_TYPE,
        who: Who,
        relayed: Relayed | Problem,
    ) -> None:
        if isinstance(relayed, Problem):
            if relayed is Problem.NOT_ALLOWED:
                await self.roles.denied(who, "relay to a citizen")
            if relayed is not Problem.REPLAYED:
                await message.reply_text(
                    texts.ASKS_PROBLEMS[relayed].format(slugs="", limit=MAX_RELAY)
                )
            return
        ask, acceptance = relayed.ask, relayed.acceptance
        if relayed.to_citizen:
            # A provider's words, passed on in the citizen's language.
            with speaking(await self.sender.languages.of_person(relayed.telegram_id)):
                service = name(self._service(ask.service_slug, relayed.service_name))
                provider = name(self._provider(ask.provider_id))
                messages = pieces(
                    lambda words: texts.ASKS_RELAY_TO_CITIZEN.format(
                        provider=provider, service=service, text=quote(words)
                    ),
                    relayed.text,
                )
                reply = InlineKeyboardMarkup(
                    [_button(texts.ASKS_REPLY, f"{CITIZEN}:r:{acceptance.id}")]
                )
            try:
                await _send_all(context, relayed.telegram_id, messages, reply)
            except (Forbidden, BadRequest) as exc:
                log.info("relay to acceptance %s not delivered: %s", acceptance.id, exc)
                await message.reply_text(texts.ASKS_PROBLEMS[Problem.GONE])
                return
            await message.reply_text(texts.ASKS_RELAY_SENT)
            return
        await self._to_provider(context, ask, acceptance, relayed.service_name, relayed.text)
        await message.reply_text(texts.ASKS_RELAY_SENT)

    async def _to_provider(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        ask: Ask,
        acceptance: Acceptance,
        service: str,
        text: str,
    ) -> None:
        provider = self.digests.providers.get(ask.provider_id)
        if provider is None:
            return
        for chat_id in await self.digests.provider_chats(provider):
            # A citizen's words, passed on in each chat's language.
            with speaking(await self.digests.language_of(chat_id)):
                who = (
                    texts.ASKS_RELAY_NAMED.format(name=person(acceptance.first_name or ""))
                    if acceptance.share == Share.NAME
                    else texts.ASKS_RELAY_UNNAMED
                )
                markup = InlineKeyboardMarkup(
                    [_button(texts.ASKS_WRITE, f"{WRITE}:{acceptance.id}")]
                )
                named = name(self._service(ask.service_slug, service))
                messages = pieces(partial(_relay_to_provider, who, named), text)
            for number, piece in enumerate(messages, 1):
                try:
                    sent = await context.bot.send_message(
                        chat_id,
                        piece,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup if number == len(messages) else None,
                    )
                except (Forbidden, BadRequest) as exc:
                    log.info("reply on acceptance %s not delivered: %s", acceptance.id, exc)
                    break
                except TelegramError as exc:
                    # One chat failing does not keep the reply from the provider's others.
                    log.warning("reply on acceptance %s to a chat failed: %s", acceptance.id, exc)
                    break
                if self.privacy is not None:
                    await self.privacy.relayed_to_staff(
                        acceptance.id, sent.chat_id, sent.message_id
                    )


def _relay_to_provider(who: str, service: str, words: str) -> str:
    return texts.ASKS_RELAY_TO_PROVIDER.format(person=who, service=service, text=quote(words))


async def _send_all(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    messages: list[str],
    markup: InlineKeyboardMarkup,
) -> None:
    """Send the messages of one long text in order, the buttons under the last."""
    for number, text in enumerate(messages, 1):
        await context.bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if number == len(messages) else None,
        )


async def _reply(
    message: Message | None,
    text: str,
    markup: InlineKeyboardMarkup | ForceReply | None = None,
) -> None:
    if message is None:
        return
    try:
        await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except Forbidden:
        log.info("a citizen blocked the bot; reply not delivered")


async def _drop_buttons(message: Message | None, drop: Callable[[str], bool]) -> None:
    """Remove the buttons whose data `drop` picks out, keeping the others."""
    if message is None or message.reply_markup is None:
        return
    rows = [
        [b for b in row if not drop(str(b.callback_data or ""))]
        for row in message.reply_markup.inline_keyboard
    ]
    kept = [row for row in rows if row]
    try:
        await message.edit_reply_markup(InlineKeyboardMarkup(kept) if kept else None)
    except BadRequest as exc:
        log.info("buttons not updated: %s", exc.message)
