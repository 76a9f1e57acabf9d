"""Telegram handlers: thin adapters from updates to the core. `register` maps the whole bot."""

from __future__ import annotations

from datetime import timedelta

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.intake import Intake
from handlers.citizen import CitizenHandlers
from handlers.common import CommonHandlers, on_error


def register(
    application: Application,  # type: ignore[type-arg]
    intake: Intake,
    conversation_timeout: timedelta,
) -> CitizenHandlers:
    """Add every handler to the application, in order; return the citizen handlers."""
    citizen = CitizenHandlers(intake, conversation_timeout)
    common = CommonHandlers(intake)
    private = filters.ChatType.PRIVATE
    new = filters.UpdateType.MESSAGE & private

    application.add_handler(CommandHandler("start", citizen.start, filters=new))
    application.add_handler(CommandHandler("cancel", citizen.cancel, filters=new))
    application.add_handler(CommandHandler("mine", citizen.mine, filters=new))
    application.add_handler(CommandHandler("help", citizen.help, filters=new))
    application.add_handler(CommandHandler("privacy", citizen.privacy, filters=new))
    # Last among buttons: it answers unknown or forged data too.
    application.add_handler(CallbackQueryHandler(citizen.button))
    # Forwards and edits first: a forwarded or edited text is not new feedback.
    application.add_handler(
        MessageHandler(
            private & (filters.FORWARDED | filters.UpdateType.EDITED_MESSAGE), common.unsupported
        )
    )
    application.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, citizen.text))
    application.add_handler(MessageHandler(new & filters.COMMAND, citizen.unknown_command))
    application.add_handler(MessageHandler(new & ~filters.TEXT, common.unsupported))
    application.add_error_handler(on_error)
    return citizen
