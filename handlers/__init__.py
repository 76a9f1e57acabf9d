"""Telegram handlers: thin adapters from updates to the core. `register` maps the whole bot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from telegram import Message, MessageEntity, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.asks import Asks
from bot.attachments import Attachments
from bot.digests import Digests
from bot.heard import Themes
from bot.hearing import Hearing
from bot.intake import Intake
from bot.languages import Languages
from bot.moderation import Moderation
from bot.outbox import Outbox
from bot.privacy import Privacy
from bot.responses import Responses
from bot.roles import Roles, Who
from bot.topics import MODERATORS, Topics, addressed_to
from handlers.admin import AdminHandlers
from handlers.asks import AskHandlers
from handlers.citizen import CitizenHandlers
from handlers.common import Buttons, Callback, CommonHandlers
from handlers.ids import IdHandlers
from handlers.language import FIRST_START, LanguageHandlers
from handlers.media import (
    PHOTO_PREFIX,
    TRANSCRIPT_PREFIX,
    VOICE_PREFIX,
    MediaHandlers,
    image_document,
)
from handlers.moderator import ModeratorHandlers
from handlers.outbox import OutboxSender
from handlers.places import MODERATORS_ONLY, PRIVATE_ONLY, Elsewhere
from handlers.privacy import PrivacyHandlers
from handlers.provider import ProviderHandlers
from handlers.responses import ResponseHandlers


@dataclass(frozen=True)
class Handlers:
    """The handler objects, for the jobs the app schedules."""

    citizen: CitizenHandlers
    moderator: ModeratorHandlers
    admin: AdminHandlers
    provider: ProviderHandlers
    privacy: PrivacyHandlers
    sender: OutboxSender
    responses: ResponseHandlers
    asks: AskHandlers
    media: MediaHandlers | None = None


async def _quiet(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An update that needs no answer."""


class InChat(filters.MessageFilter):
    """Messages in one group of the deployment file, also once it became a supergroup."""

    def __init__(self, home: Callable[[int], int], chat_id: int | None) -> None:
        super().__init__(name=f"InChat({chat_id})")
        self.home = home
        self.chat_id = chat_id

    def filter(self, message: Message) -> bool:
        """Whether the message is in that group, where it is now."""
        return self.chat_id is not None and self.home(message.chat_id) == self.chat_id


class ForAnotherBot(filters.MessageFilter):
    """A command addressed to another bot in a group (/queue@other_bot): where the bot reads
    every message (an admin, or privacy mode off), it is not this bot's to act on."""

    def __init__(self) -> None:
        super().__init__(name="ForAnotherBot")

    def filter(self, message: Message) -> bool:
        """Whether the command names a bot other than this one."""
        addressed = addressed_to(message)
        return addressed is not None and addressed != (message.get_bot().username or "").lower()


async def _not_ours(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Nothing further sees a command meant for another bot (an edit or a response being
    written goes on)."""
    raise ApplicationHandlerStop


def register(
    application: Application,  # type: ignore[type-arg]
    intake: Intake,
    roles: Roles,
    moderation: Moderation,
    digests: Digests,
    privacy: Privacy,
    responses: Responses,
    hearing: Hearing,
    outbox: Outbox,
    conversation_timeout: timedelta,
    asks: Asks,
    languages: Languages,
    attachments: Attachments | None = None,
    topics: Topics | None = None,
) -> Handlers:
    """Add every handler to the application, in order; return the handler objects."""
    moderators_chat = roles.deployment.moderators_chat
    moderator = ModeratorHandlers(
        moderation, roles, moderators_chat, privacy=privacy, languages=languages
    )
    admin = AdminHandlers(roles)
    provider = ProviderHandlers(digests, roles, moderation.tagger.labels, moderation.tagger.broad)
    speech = LanguageHandlers(languages)
    citizen = CitizenHandlers(
        intake,
        conversation_timeout,
        roles=roles,
        admin=admin,
        after_saved=moderator.sweep,
        language=speech,
        themes=Themes(intake.db, moderation, intake, intake.clock),
        redraw_card=moderator.refresh_card,
    )
    speech.carry_on = citizen.after_language
    sender = OutboxSender(outbox, languages)
    common = CommonHandlers(intake, outbox, languages, sender, citizen.questions)
    citizen.questions.offered = intake.offer_shown
    citizen.joined = sender.kick
    # A time-out notice that could not reach its citizen is told when they are back.
    citizen.missed = outbox.missed
    citizen.due_notices = outbox.due_notices
    common.tell_missed = citizen.tell_missed
    common.welcome_again = citizen.welcome_again
    rights = PrivacyHandlers(
        privacy,
        redraw_list=moderator.redraw_list,
        languages=languages,
        redraw_offer=citizen.redraw_offer,
        post_cards=moderator.sweep,
    )
    answers = ResponseHandlers(
        responses,
        hearing,
        roles,
        digests,
        sender,
        moderation.tagger.labels,
        moderators_chat,
        moderation.tagger.broad,
    )
    # /cancel in private ends a moderator's open edit too, and says so.
    citizen.end_edit = answers.end_edit = moderator.cancel_elsewhere
    asking = AskHandlers(asks, roles, digests, sender, moderators_chat, privacy=privacy)
    # Voice notes and photos (issue 17): without the core, refused as before.
    pictures = (
        MediaHandlers(
            attachments,
            moderation,
            roles,
            moderators_chat,
            privacy,
            languages,
            citizen.questions,
            consent=intake.consent_question,
        )
        if attachments is not None
        else None
    )
    moderator.media = pictures
    moderator.take_back = rights.clean
    if pictures is not None:
        pictures.come_back = moderator.come_back
        pictures.take_back = rights.clean
        pictures.tidy = rights.clean_with
        citizen.albums_left = pictures.albums_left
        citizen.notes_owed = pictures.tell_owed

        async def ask_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            # Outside the update's handling (a job): its language read again first, so that
            # one chosen meanwhile asks nothing.
            await speech.speak(update, context)
            await speech.first_contact(update, FIRST_START, words=True)

        pictures.ask_language = ask_language
    private = filters.ChatType.PRIVATE
    new = filters.UpdateType.MESSAGE & private
    # The moderators' chat, also once it became a supergroup (a new id); none configured,
    # nothing matches.
    mods = InChat(roles.home, moderators_chat)
    in_mods = filters.UpdateType.MESSAGE & mods
    message = filters.UpdateType.MESSAGE

    # Before anything: a group not known here may be where a group of the file moved (as
    # recorded by another instance); then, the language the update is answered in.
    async def moved_here(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is not None:
            await roles.moves.notice(update.effective_chat.id)
        # In a forum group: answered in the topic asked in; a staff command there moves the
        # bot's own posts to that topic.
        if topics is not None:
            await topics.heard(update, context.bot.username)

    # First of all: a command for another bot is not this bot's (not even to end an edit).
    application.add_handler(MessageHandler(filters.COMMAND & ForAnotherBot(), _not_ours), group=-12)
    application.add_handler(TypeHandler(Update, moved_here), group=-11)
    application.add_handler(TypeHandler(Update, speech.speak), group=-10)

    # Then: whether the chat can be written to (it spoke; it blocked the bot).
    application.add_handler(TypeHandler(Update, common.reachability), group=-9)

    # Then: a command or a reply to the bot from a group admin posting as the group, whose
    # role cannot be known (said so, and it stops there).
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.ChatType.GROUPS & filters.SenderChat.ALL,
            common.anonymous,
        ),
        group=-8,
    )

    # First, in any chat: the words of something a staff member is writing here (a
    # response, a question, an invitation, a relayed message), and /cancel of it. They stop
    # here only when something is being written; otherwise the update goes on. Staff's text
    # in private with nothing being written and no feedback open is answered as staff.
    async def words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        # One read for every text a citizen sends; the rest only when a draft exists.
        draft = await responses.draft(Who(user.id), message.chat_id)
        if draft is not None:
            mine = draft.kind in ("response", "response_text")
            await (answers.words if mine else asking.words)(update, context)
        else:
            await answers.staff_text(update, context)

    # Any command: a moderator who was editing an item has moved on (the edit ends). Its own
    # group: a private command also ends a citizen's side prompt, in the group after.
    command = filters.UpdateType.MESSAGE & filters.COMMAND
    application.add_handler(MessageHandler(command, moderator.leave_edit), group=-3)
    # Before any private command: a comment or an answer the bot waits for ends (the
    # command then runs as usual, in the groups after).
    application.add_handler(
        MessageHandler(new & filters.COMMAND, citizen.end_side_prompt), group=-2
    )

    text = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    application.add_handler(MessageHandler(text, words), group=-1)
    # Words sent with a photo or a file while writing a response are its words.
    captioned = filters.UpdateType.MESSAGE & filters.CAPTION
    application.add_handler(MessageHandler(captioned, answers.words), group=-1)
    application.add_handler(
        CommandHandler("cancel", answers.cancel, filters=filters.UpdateType.MESSAGE), group=-1
    )
    # Before that, any other command, or a button that is not part of the writing, ends
    # what is being written there (said once); the command or button then does what it
    # does. A group of its own (only one handler per group runs), so the handlers above
    # (a moderator's edit, a citizen's side prompt) still see every update.
    other_command = filters.COMMAND & ~filters.Regex(r"^/cancel(@\w+)?(\s|$)")
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & other_command, answers.put_aside), group=-4
    )
    application.add_handler(
        CallbackQueryHandler(answers.put_aside, pattern=r"^(?!o:|w:|k:r:)"), group=-4
    )

    # A topic of the moderators' forum deleted with cards in it: those cards come again.
    def topic_deleted(home: int, role: str) -> None:
        if role == MODERATORS and application.job_queue is not None:
            application.job_queue.run_once(moderator.cards_gone, 0, name="cards-gone")

    if topics is not None:
        topics.deleted.append(topic_deleted)

    # For whoever sets the bot up: /id in any chat; the groups the bot joins, in the log.
    ids = IdHandlers(roles.deployment, roles.moves, languages, application.job_queue)
    ids.post_cards = moderator.sweep
    ids.cards_back = moderation.cards_back
    ids.post_again = [asking.post_again, answers.post_again]
    ids.post_after = [moderator.edits_again]
    application.add_handler(CommandHandler("id", ids.show, filters=message))
    application.add_handler(ChatMemberHandler(ids.membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, ids.migrated))

    # Private chat commands: everyone's, then staff's (each checks the role itself).
    application.add_handler(CommandHandler("start", citizen.start, filters=new))
    # In any group (the moderators' too, harmlessly): a link to the private chat.
    application.add_handler(
        CommandHandler("start", citizen.group_start, filters=message & filters.ChatType.GROUPS)
    )
    application.add_handler(CommandHandler("cancel", citizen.cancel, filters=new))
    application.add_handler(CommandHandler("mine", citizen.mine, filters=new))
    application.add_handler(CommandHandler("help", citizen.help, filters=new))
    application.add_handler(CommandHandler("language", speech.command, filters=new))
    application.add_handler(CommandHandler("privacy", rights.show, filters=new))
    application.add_handler(CommandHandler("mydata", rights.mydata, filters=new))
    application.add_handler(CommandHandler("forget", rights.forget, filters=new))
    application.add_handler(CommandHandler("invite", admin.invite, filters=new))
    application.add_handler(CommandHandler("roles", admin.list_roles, filters=new))
    application.add_handler(CommandHandler("audit", admin.audit, filters=new))
    application.add_handler(CommandHandler("queue", moderator.queue, filters=new | in_mods))
    application.add_handler(CommandHandler("unpublish", moderator.unpublish, filters=new | in_mods))
    application.add_handler(CommandHandler("merge", moderator.merge, filters=new | in_mods))
    # The same in a group where they do not answer: a short pointer to where they do.
    elsewhere = Elsewhere(roles)
    groups = message & filters.ChatType.GROUPS
    application.add_handler(CommandHandler(list(PRIVATE_ONLY), elsewhere.pointer, filters=groups))
    application.add_handler(
        CommandHandler(list(MODERATORS_ONLY), elsewhere.pointer, filters=groups & ~mods)
    )
    # Providers, in private or in their team's group (each checks the role itself).
    application.add_handler(CommandHandler("digest", provider.digest_now, filters=message))
    application.add_handler(CommandHandler("services", provider.services, filters=message))
    application.add_handler(CommandHandler("schedule", provider.schedule, filters=message))
    application.add_handler(CommandHandler("respond", answers.respond, filters=message))
    application.add_handler(CommandHandler("responses", answers.list_recent, filters=message))
    application.add_handler(CommandHandler("ask", asking.ask, filters=message))
    application.add_handler(CommandHandler("invite_people", asking.invite, filters=message))
    application.add_handler(CommandHandler("involved", asking.involved, filters=message))

    # The moderators' chat.
    application.add_handler(CommandHandler("cancel", moderator.cancel, filters=in_mods))
    application.add_handler(
        MessageHandler(mods & filters.StatusUpdate.LEFT_CHAT_MEMBER, moderator.left)
    )
    application.add_handler(
        MessageHandler(in_mods & filters.TEXT & ~filters.COMMAND, moderator.edit_reply)
    )
    # A photo, sticker or file in reply to an edit prompt: not a text, and said so.
    application.add_handler(
        MessageHandler(
            in_mods & filters.REPLY & ~filters.TEXT & ~filters.StatusUpdate.ALL,
            moderator.edit_not_text,
        )
    )

    # Buttons: cards, role lists, then the citizen's (last: it answers forged data too).
    # Each acts only where its kind belongs (the presser's own private chat; moderators' and
    # providers' buttons also in their chats); a press anywhere else is refused, audited.
    only = Buttons(roles).only
    add = application.add_handler
    add(CallbackQueryHandler(only(moderator.button, moderators=True), pattern=r"^m:"))
    add(CallbackQueryHandler(only(admin.button), pattern=r"^a:"))
    add(CallbackQueryHandler(only(provider.button, providers=True), pattern=r"^d:"))
    add(CallbackQueryHandler(only(rights.button), pattern=r"^f:"))
    # Hiding a response is the moderators' (/responses works in providers' chats too).
    staff = only(answers.button, moderators=True, providers=True)
    add(CallbackQueryHandler(staff, pattern=r"^o:[hl]:"))
    add(CallbackQueryHandler(only(answers.button, providers=True), pattern=r"^o:"))
    add(CallbackQueryHandler(only(answers.verdict), pattern=r"^v:"))
    add(CallbackQueryHandler(only(asking.moderate, moderators=True), pattern=r"^q:"))
    add(CallbackQueryHandler(only(asking.citizen), pattern=r"^k:"))
    add(CallbackQueryHandler(only(asking.write, providers=True), pattern=r"^w:"))
    add(CallbackQueryHandler(only(speech.button), pattern=r"^l:"))
    if pictures is not None:
        photo_pattern = rf"^{PHOTO_PREFIX}:"
        add(
            CallbackQueryHandler(
                only(pictures.photo_button, moderators=True), pattern=photo_pattern
            )
        )
        add(
            CallbackQueryHandler(
                only(pictures.transcript_button), pattern=rf"^{TRANSCRIPT_PREFIX}:"
            )
        )
        add(
            CallbackQueryHandler(
                only(pictures.voice_button, moderators=True), pattern=rf"^{VOICE_PREFIX}:"
            )
        )
        application.add_handler(CommandHandler("photo", pictures.send_photo, filters=message))
    add(CallbackQueryHandler(only(citizen.button)))

    # A live location moves by edits of its message, every few seconds: the first position
    # was taken; its updates are not messages to answer.
    application.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE & filters.LOCATION, _quiet)
    )

    def unless_writing(handler: Callback) -> Callback:
        # A staff member writing a response or a question is told, as before, that only
        # text is taken; so is a provider with nothing being written and no feedback of
        # their own open (never the citizen's consent question, as for their text).
        async def media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            message, user = update.effective_message, update.effective_user
            if message is None or user is None:
                return
            writing = await responses.draft(Who(user.id), message.chat_id) is not None
            if writing and message.media_group_id is not None:
                # An album is told once that its photos are not passed on (not thanked for
                # each): by the reply to its words, or a note after its last photo.
                if not message.caption:
                    await answers.album_later(update, context)
                    return
                if answers.album_told(message, context):
                    return
            if writing or await answers.staff_only(user.id):
                await common.not_text(update, context)
                return
            if speech.unchosen():
                if update.edited_message is not None:
                    # The message edited was answered with the language question, which
                    # still waits for her choice: once is enough. One lost on the way is
                    # owed (LanguageHandlers.first_contact): asked now, in reply to the edit.
                    # Her words waiting on it are taken as edited: the newest go on.
                    intake.edit_held(user.id, message.message_id, message.text or "")
                    if await speech.take_owed(user.id):
                        await speech.first_contact(update, FIRST_START, words=True)
                    return
                # Any first message is answered with the language question first (words
                # with it wait for the choice, their own handler asks); an album asks once:
                # the message with its words, on whichever photo they are, else a couple of
                # seconds after its last photo (MediaHandlers.language_later).
                if pictures is not None and message.media_group_id is not None:
                    if not pictures.language_now(message, context):
                        await pictures.language_later(update, context)
                        return
                # In reply to it: once a language is chosen, the consent question says it
                # was not kept (CitizenHandlers.after_language).
                elif not message.caption and await speech.first_contact(
                    update, FIRST_START, words=True
                ):
                    return
            await handler(update, context)

        return media

    # Forwards and edits first: a forwarded or edited text is not new feedback; nor is what
    # an inline bot found (a picture from the web), though words through one are theirs.
    application.add_handler(
        MessageHandler(
            private
            & (
                filters.FORWARDED
                | filters.UpdateType.EDITED_MESSAGE
                | (filters.VIA_BOT & ~filters.TEXT)
            ),
            unless_writing(common.unsupported),
        )
    )
    application.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, citizen.text))
    application.add_handler(MessageHandler(new & filters.COMMAND, citizen.unknown_command))

    # Words sent with a photo or a file are a citizen's words all the same.
    async def caption(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None  # unless_writing let only messages with a sender by
        if pictures is not None:
            # Its album's photos after it wait for no other words (MediaHandlers.photo).
            pictures.album_answered(message, "words")
        if pictures is not None and message.photo:
            # Where the photo could go before its words move the conversation on (words at
            # a comment or an answer end it).
            room = await pictures.room(update)
            step = await citizen.caption_words(update, context)
            if step is not None:
                await pictures.captioned_photo(update, context, step, room)
            return
        if pictures is not None and message.voice:
            # A voice note with words (some clients allow it): both kept, the words first.
            room = await pictures.room(update)
            step = await citizen.caption_words(update, context)
            if step is not None:
                await pictures.captioned_voice(update, context, step, room)
            return
        if pictures is not None and image_document(message):
            # A picture sent as a file: not kept, but the words with it are, as typed.
            step = await citizen.caption_words(update, context)
            if step is not None:
                await pictures.captioned_document(update, context, step)
            return
        await citizen.caption(update, context)

    application.add_handler(MessageHandler(new & filters.CAPTION, unless_writing(caption)))

    # A shared location (or venue) says where the item being told happened.
    application.add_handler(
        MessageHandler(new & filters.LOCATION, unless_writing(citizen.location))
    )
    if pictures is not None:
        application.add_handler(MessageHandler(new & filters.PHOTO, unless_writing(pictures.photo)))
        application.add_handler(MessageHandler(new & filters.VOICE, unless_writing(pictures.voice)))

        async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert pictures is not None
            if not await pictures.document(update, context):
                await common.unsupported(update, context)

        application.add_handler(
            MessageHandler(new & filters.Document.ALL, unless_writing(document))
        )
    # Staff writing a response or a question are not asked a citizen's consent question.
    # Telegram's service messages (a pin, an auto-delete timer set) are nothing she sent.
    application.add_handler(
        MessageHandler(
            new & ~filters.TEXT & ~filters.StatusUpdate.ALL, unless_writing(common.unsupported)
        )
    )
    # Last, so that nothing the bot's own chats take is shadowed: words naming the bot in a
    # group it only happens to be in get the pointer /start gets there.
    application.add_handler(
        MessageHandler(
            groups & filters.TEXT & ~filters.COMMAND & filters.Entity(MessageEntity.MENTION),
            elsewhere.mentioned,
        )
    )
    application.add_error_handler(common.on_error)
    return Handlers(citizen, moderator, admin, provider, rights, sender, answers, asking, pictures)
