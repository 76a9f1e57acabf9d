"""Attacks as an independent Telegram client and Bot API server would make them: valid update
shapes the bot rarely sees, and Telegram's own faults at the moments that matter. Through the
emulator, on both engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.config import Deployment
from emulator import Emulator
from handlers import texts
from tests.e2e.conftest import BotFactory
from tests.e2e.test_citizen import press, say, stored


def poll_update(emu: Emulator) -> dict[str, Any]:
    """A poll's new state: valid Telegram, and an update of no chat and no one."""
    poll = {
        "id": "5807160214151184432",
        "question": "Which day suits you?",
        "options": [
            {"persistent_id": "a", "text": "Monday", "voter_count": 0},
            {"persistent_id": "b", "text": "Friday", "voter_count": 1},
        ],
        "total_voter_count": 1,
        "is_closed": True,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }
    emu.spec.check_object("Poll", poll, "poll")
    return {"poll": poll}


async def test_an_update_of_no_chat_and_no_one_does_not_stop_polling(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    # Created before the bot first asked for its update types (Telegram: allowed_updates
    # "doesn't affect updates created before the call"), so it is delivered all the same.
    assert emu.inject(poll_update(emu)) is not None
    async with make_bot():
        alice = emu.person("Alice")
        assert "Is that OK with you?" in await say(alice, "/start")
        await emu.idle(quiet=0.3)
        assert emu.pending_updates == 0
    # Stored under no chat; after a restart it is not read again, and polling goes on.
    assert stored(db_path, "SELECT chat_key FROM updates WHERE update_id = 1") == [(0,)]
    async with make_bot():
        assert "Which service" in await press(alice, texts.CONSENT_YES)
