"""The deployment's speech-to-text command (bot/media.transcribe): its words ("" when it heard
none), or None when it fails or hangs; never more than a message can show; its audio file
removed."""

from __future__ import annotations

import asyncio
import shlex
import sys
from pathlib import Path

from bot.media import TRANSCRIPT_MAX, transcribe


def engine(tmp_path: Path, body: str, name: str = "engine") -> str:
    """A speech-to-text command: a Python script given the audio file's path."""
    script = tmp_path / f"{name}.py"
    script.write_text(body, encoding="utf-8")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


async def test_the_words_printed_are_the_draft_and_the_audio_file_goes(tmp_path: Path) -> None:
    record = tmp_path / "seen.txt"
    command = engine(
        tmp_path,
        "import sys, pathlib\n"
        f"pathlib.Path({str(record)!r}).write_text(sys.argv[1])\n"
        "assert pathlib.Path(sys.argv[1]).read_bytes() == b'OggS-audio'\n"
        "print('  the bins\\nwere not   emptied ')\n",
    )
    assert await transcribe(command, b"OggS-audio", 30) == "the bins were not emptied"
    audio = Path(record.read_text())
    assert not audio.exists()


async def test_failing_hanging_or_missing_engines_give_nothing(tmp_path: Path) -> None:
    failing = engine(tmp_path, "import sys\nprint('half a thought')\nsys.exit(3)\n", "failing")
    assert await transcribe(failing, b"x", 30) is None
    # An engine that runs and hears no words (silence) says so: no words, not a failure.
    silent = engine(tmp_path, "print('  ')\n", "silent")
    assert await transcribe(silent, b"x", 30) == ""
    # Hangs: given up after the limit (the limit only bounds the wait).
    hanging = engine(tmp_path, "import time\ntime.sleep(600)\n", "hanging")
    assert await transcribe(hanging, b"x", 0.5) is None
    assert await transcribe(str(tmp_path / "no-such-engine"), b"x", 30) is None
    assert await transcribe("   ", b"x", 30) is None


async def test_bytes_that_are_not_utf8_and_endless_words_are_tamed(tmp_path: Path) -> None:
    odd = engine(tmp_path, "import sys\nsys.stdout.buffer.write(b'caf\\xe9 closed')\n")
    assert await transcribe(odd, b"x", 30) == "caf\ufffd closed"
    endless = engine(tmp_path, "print('word ' * 5000)\n", "endless")
    text = await transcribe(endless, b"x", 30)
    assert text is not None and len(text) <= TRANSCRIPT_MAX and text.endswith("word…")


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, killed and not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


async def test_a_hanging_wrapper_is_stopped_with_what_it_started(tmp_path: Path) -> None:
    # An engine run through a shell script: the shell and its child are both stopped.
    pids = tmp_path / "pids"
    child = engine(tmp_path, "import time\ntime.sleep(600)\n", "child")
    script = tmp_path / "wrapper.sh"
    script.write_text(f"{child} &\necho $! > {pids}\nwait\n", encoding="utf-8")
    # (A child left running holds the output pipe open: the wait would never end, hence
    # the bound on this test's wait, which only a failure reaches.)
    async with asyncio.timeout(60):
        assert await transcribe(f"sh {shlex.quote(str(script))}", b"x", 2) is None
    (pid,) = [int(p) for p in pids.read_text().split()]
    for _ in range(100):
        if not alive(pid):
            break
        await asyncio.sleep(0.05)  # the kill is delivered; the kernel takes a moment
    assert not alive(pid)
