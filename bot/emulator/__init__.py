"""A local Telegram Bot API emulator: real HTTP, spec-validated calls, simulated people.

async with Emulator(token="123:ABC") as emu:
    bot = telegram.Bot(emu.token, base_url=emu.api_url, base_file_url=emu.file_url)
    alice = emu.person("Alice")
    await alice.send("/start")
"""

from bot.emulator.emulator import Emulator
from bot.emulator.errors import ApiError
from bot.emulator.limits import Limits
from bot.emulator.people import Group, MessageView, Person, Press
from bot.emulator.server import serve
from bot.emulator.state import Call

__all__ = [
    "ApiError",
    "Call",
    "Emulator",
    "Group",
    "Limits",
    "MessageView",
    "Person",
    "Press",
    "serve",
]
