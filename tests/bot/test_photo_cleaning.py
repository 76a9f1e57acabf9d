"""Cleaning a photo on receipt (bot/media.clean_photo): odd, broken or hostile
files must come out as a bare JPEG or as NotAnImage (the citizen's kind "unreadable"
answer), never as another exception, and never hand the bytes to an outside program."""

from __future__ import annotations

import io
import os
import stat
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from bot.media import NotAnImage, clean_photo


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def broken_png() -> bytes:
    """A small PNG whose IDAT chunk says it is shorter than it is (a damaged download):
    the rest of the compressed pixels are read as the next chunk's header."""
    width, height = 64, 48
    raw = b"".join(b"\x00" + bytes([100, 150, 200]) * width for _ in range(height))
    packed = zlib.compress(raw)
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    idat = struct.pack(">I", 12) + b"IDAT" + packed  # length field says 12, not len(packed)
    return b"\x89PNG\r\n\x1a\n" + header + idat + struct.pack(">I", 0) + _chunk(b"IEND", b"")


def truncated_ihdr_png() -> bytes:
    """A PNG whose IHDR chunk says it is 7 bytes long (a damaged header)."""
    good = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(good, "PNG")
    data = bytearray(good.getvalue())
    data[8:12] = struct.pack(">I", 7)
    return bytes(data)


def jpeg_with_odd_exif() -> bytes:
    """A JPEG turned by EXIF (Orientation 6) whose XResolution tag is stored as ASCII
    instead of a RATIONAL: seen from cheap cameras and some editors."""
    entries = [(0x0112, 3, 1, struct.pack("<H", 6)), (0x011A, 2, 4, b"abc\x00")]
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        tiff += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\x00")
    tiff += struct.pack("<I", 0)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(out, "JPEG", exif=b"Exif\x00\x00" + tiff)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [broken_png(), truncated_ihdr_png(), jpeg_with_odd_exif()],
    ids=["png-short-idat", "png-short-ihdr", "jpeg-ascii-xresolution"],
)
def test_a_damaged_image_is_not_an_image_never_another_error(data: bytes) -> None:
    """A damaged file is NotAnImage (the citizen's kind "unreadable" answer), never another
    error (which would reach the error handler: "something went wrong")."""
    try:
        out = clean_photo(data)
    except NotAnImage:
        return
    except Exception as exc:  # what the handler does not catch
        pytest.fail(f"clean_photo raised {type(exc).__name__}: {exc}")
    # Cleaned after all: then it must be a bare JPEG.
    image = Image.open(io.BytesIO(out))
    assert image.format == "JPEG" and not image.getexif()


def test_a_postscript_file_sent_as_a_photo_is_never_given_to_ghostscript(tmp_path: Path) -> None:
    """An EPS file sent as a "photo" (the emulator, as Telegram, passes a photo's file
    through as sent) is never handed to Ghostscript, an interpreter of the sender's program.
    A stand-in `gs` on PATH records whether it ran."""
    ran = tmp_path / "gs-ran"
    fake = tmp_path / "gs"
    fake.write_text(
        f'#!/bin/sh\n[ "$1" = "--version" ] && exit 0\necho "$@" > {ran}\nexit 1\n',
        encoding="utf-8",
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    eps = (
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 48\n"
        b"/Helvetica findfont 12 scalefont setfont 10 10 moveto (hello) show\nshowpage\n%%EOF\n"
    )
    script = textwrap.dedent(
        f"""
        from bot.media import clean_photo, NotAnImage
        try:
            clean_photo({eps!r})
        except NotAnImage:
            pass
        """
    )
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}"}
    # (Whatever clean_photo raised afterwards: the point is whether gs ran.)
    subprocess.run([sys.executable, "-c", script], env=env, cwd=Path(__file__).parents[2])
    assert not ran.exists(), "Ghostscript was run on the sender's PostScript"


def test_png_text_chunks_itxt_exif_and_icc_do_not_survive() -> None:
    """A PNG's tEXt, zTXt, iTXt, eXIf chunks and ICC profile do not survive."""
    image = Image.new("RGB", (40, 30), "green")
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at 12 Acacia Avenue")
    info.add_text("Secret", "zipped Acacia", zip=True)
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>Acacia GPS</x:xmpmeta>")
    exif = Image.Exif()
    exif[0x010F] = "HomeCam"
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=exif, icc_profile=b"ICCAcacia" * 20)
    cleaned = clean_photo(out.getvalue())
    assert b"Acacia" not in cleaned and b"HomeCam" not in cleaned
    back = Image.open(io.BytesIO(cleaned))
    assert back.format == "JPEG" and not back.getexif()
    assert not set(back.info) & {"icc_profile", "exif", "xmp", "comment"}
