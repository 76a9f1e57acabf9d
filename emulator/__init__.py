"""A local Telegram Bot API emulator: real HTTP, spec-validated calls, simulated people.

async with Emulator(token="123:ABC") as emu:
    bot = telegram.Bot(emu.token, base_url=emu.api_url, base_file_url=emu.file_url)
    alice = emu.person("Alice")
    await alice.send("/start")
"""

from emulator.emulator import Emulator
from emulator.errors import ApiError
from emulator.faults import Fault, Faults
from emulator.limits import Limits
from emulator.people import Group, MessageView, Person, Press
from emulator.proxy import RoundRobinProxy
from emulator.server import serve
from emulator.state import Call

__all__ = [
    "ApiError",
    "Call",
    "Emulator",
    "Fault",
    "Faults",
    "Group",
    "Limits",
    "MessageView",
    "Person",
    "Press",
    "RoundRobinProxy",
    "serve",
]
