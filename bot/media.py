"""Voice notes and photos: the limits, cleaning a photo, and an optional offline transcriber.

Photos are re-encoded with Pillow so that nothing of the original file but its pixels is
kept (EXIF, GPS, camera, ICC profile and comments go; the orientation is applied first).
Voice notes are never downloaded unless the deployment configures a speech-to-text command
(`YOUSAID_TRANSCRIBE`), and the audio never leaves the bot: providers read approved text.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import shlex
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

# Photos one item may carry.
MAX_PHOTOS = 3
# What a bot may download from Telegram (getFile): 20 MB.
DOWNLOAD_LIMIT = 20 * 1024 * 1024
# A stored photo's longest side: enough to see a broken swing, and bounded storage.
PHOTO_SIDE = 1600
PHOTO_QUALITY = 80
# Images larger than this many pixels are refused before decoding (a decompression bomb).
MAX_PIXELS = 50_000_000
# Kinds of image a photo sent as a file may be: the others are told how to send a photo.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"})
# Speech-to-text engines run at once (a local model uses the machine's cores): the others wait.
TRANSCRIBE_AT_ONCE = 1
# A draft transcript's longest: it is shown in one message with its question around it, and
# becomes an item's words (the moderators check it against the audio, which has the rest).
TRANSCRIPT_MAX = 3500


@dataclass(frozen=True)
class MediaSettings:
    """The deployment's choices for voice notes and photos."""

    # The longest voice note taken as feedback, in seconds.
    voice_max_seconds: int = 180
    # A command run on a downloaded voice note, printing its text (empty: no transcription).
    transcribe: str = ""
    # How long the speech-to-text command may take.
    transcribe_seconds: float = 60
    # Voice notes and photos are deleted this many days after they were sent.
    keep_days: int = 90


class NotAnImage(ValueError):
    """The bytes are not an image Pillow can read (or one too large to decode safely)."""


# What Pillow may open: what phones and Telegram's apps send as photos.
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")


def clean_photo(data: bytes) -> bytes:
    """The photo as a new JPEG with no metadata at all, turned the way it was taken and at
    most PHOTO_SIDE pixels on its longest side. Runs in a worker thread (see `clean`)."""
    try:
        # Only formats a phone sends as a photo: Pillow would hand others (EPS) to programs
        # outside the bot, on what a stranger sent.
        with Image.open(io.BytesIO(data), formats=PHOTO_FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise NotAnImage("too many pixels")
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
            rgb = upright.convert("RGB")
    except NotAnImage:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise NotAnImage(str(exc)) from exc
    except Exception as exc:
        # A damaged file makes Pillow raise what it will (SyntaxError, ValueError, struct's
        # error in odd EXIF...): all of it means the same to the citizen.
        raise NotAnImage(f"{type(exc).__name__}: {exc}") from exc
    # A fresh image holding only the pixels: no info dictionary travels with it.
    bare = Image.new("RGB", rgb.size)
    bare.paste(rgb)
    out = io.BytesIO()
    bare.save(out, "JPEG", quality=PHOTO_QUALITY, optimize=True)
    return out.getvalue()


async def clean(data: bytes) -> bytes:
    """`clean_photo` off the event loop: other people's updates go on meanwhile."""
    return await asyncio.to_thread(clean_photo, data)


def _write_temporary(audio: bytes) -> Path:
    handle, name = tempfile.mkstemp(suffix=".ogg")
    with os.fdopen(handle, "wb") as file:
        file.write(audio)
    return Path(name)


async def transcribe(command: str, audio: bytes, seconds: float) -> str | None:
    """The text the deployment's speech-to-text command prints for this audio (written to
    a temporary file, given as the last argument, deleted after); "" if it runs well and
    prints nothing (it heard no words); None if it fails or takes longer than `seconds`. A
    separate process: never blocks the loop."""
    if not command.strip():
        return None
    path = await asyncio.to_thread(_write_temporary, audio)
    try:
        process = await asyncio.create_subprocess_exec(
            *shlex.split(command),
            str(path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            # Its own process group: a wrapper script's children are stopped with it.
            start_new_session=True,
        )
        try:
            async with asyncio.timeout(seconds):
                out, _ = await process.communicate()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            log.warning("the speech-to-text command took longer than %s s", seconds)
            return None
        if process.returncode != 0:
            log.warning("the speech-to-text command failed (exit %s)", process.returncode)
            return None
        text = " ".join(out.decode("utf-8", "replace").split())
        return _shortened(text)
    except OSError as exc:
        log.warning("the speech-to-text command could not run: %s", exc)
        return None
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


def _shortened(text: str) -> str:
    """`text`, cut at a word to TRANSCRIPT_MAX characters (with "…") if longer."""
    if len(text) <= TRANSCRIPT_MAX:
        return text
    cut = text[: TRANSCRIPT_MAX - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut + "…"
