"""Whether a message is for this bot, read in one place (bot/topics.py): a command's @name
and words naming the bot."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Chat, Message, MessageEntity

from bot.topics import addressed_to, mentions, named, ours

GROUP = Chat(-100, Chat.SUPERGROUP)


def message(text: str, *entities: tuple[str, int, int]) -> Message:
    found = [MessageEntity(kind, offset, length) for kind, offset, length in entities]
    return Message(1, datetime(2026, 1, 1, tzinfo=UTC), GROUP, text=text, entities=found)


def command(text: str) -> Message:
    return message(text, (MessageEntity.BOT_COMMAND, 0, len(text.split()[0])))


def test_commands_name_their_bot() -> None:
    assert addressed_to(command("/help@Yousaid_Bot now")) == "yousaid_bot"
    assert ours(command("/help@Yousaid_Bot"), "yousaid_bot")
    assert ours(command("/help"), "yousaid_bot")
    assert not ours(command("/help@other_bot"), "yousaid_bot")
    assert named(command("/help@other_bot")) and not named(command("/help"))
    assert not ours(message("help"), "yousaid_bot") and not named(message("help"))


def test_words_name_this_bot_only_by_its_own_name() -> None:
    both = message("@other_bot @YouSaid_bot the bins", ("mention", 0, 10), ("mention", 11, 12))
    assert mentions(both, "yousaid_bot")
    assert not mentions(message("@other_bot the bins", ("mention", 0, 10)), "yousaid_bot")
    # The name written without its entity (inside a link, say) is not a mention.
    assert not mentions(message("@yousaid_bot the bins"), "yousaid_bot")
    assert not mentions(both, None)
