"""What a photo costs: its stored size after cleaning, and the time to clean it; prints JSON.

python benchmarks/media.py            # a phone-sized photo (4032x3024) and a Telegram-sized one

The photos are made up: smooth gradients with noise, which JPEG compresses like a
real outdoor scene (flat colour would flatter the figures, pure noise would inflate them).
"""

from __future__ import annotations

import io
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageFilter  # noqa: E402

from bot.media import MAX_PHOTOS, clean_photo  # noqa: E402


def scene(width: int, height: int, seed: int) -> bytes:
    """A JPEG like a camera's, with EXIF and GPS."""
    rng = random.Random(seed)
    small = Image.new("RGB", (width // 16, height // 16))
    small.putdata(
        [
            (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            for _ in range((width // 16) * (height // 16))
        ]
    )
    image = small.resize((width, height), Image.Resampling.BICUBIC)
    image = image.filter(ImageFilter.GaussianBlur(2)).effect_spread(2)
    exif = Image.Exif()
    exif[0x010F] = "Phone"
    exif.get_ifd(0x8825)[2] = (51.0, 30.0, 12.5)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def main() -> None:
    results = {}
    for name, (width, height) in {
        "phone_4032x3024": (4032, 3024),
        "telegram_1280x960": (1280, 960),
    }.items():
        sizes, times, originals = [], [], []
        for seed in range(3):
            data = scene(width, height, seed)
            originals.append(len(data))
            started = time.perf_counter()
            cleaned = clean_photo(data)
            times.append(time.perf_counter() - started)
            sizes.append(len(cleaned))
        results[name] = {
            "original_bytes": int(statistics.mean(originals)),
            "stored_bytes": int(statistics.mean(sizes)),
            "clean_ms": round(1000 * statistics.median(times), 1),
        }
    worst = max(r["stored_bytes"] for r in results.values())
    results["per_item_worst_bytes"] = worst * MAX_PHOTOS
    # A voice note costs its Telegram file_id (about 70 bytes): the audio stays with Telegram.
    results["voice_note_bytes_estimate"] = 80
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
