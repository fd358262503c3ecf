"""What a tempo variant costs: encode time and bytes, at a given canonical size.

    uv run python bench/variants.py                       # 1280x720 and 320x180, 10 s clips
    uv run python bench/variants.py --size 640x360 --seconds 8 --steps=-64,-16,16,64

Synthesizes a canonical clip (FFmpeg's testsrc2: busy, so a pessimistic bitrate), re-times it
to each step (quarter percents: 4 is 1 %) through the same code the library uses
(assembly.retime_clip: encode, hold the last frame, rewrap, index) and prints seconds and megabytes per variant next to the clip's own size.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assembly import FFmpegCommandBuilder, VideoFormat, retime_clip, run_process  # noqa: E402
from choreography.music.tempo import HELD_FRAMES, retimed_frames, step_ratio  # noqa: E402


async def bench(size: str, seconds: float, steps: list[int]) -> None:
    width, height = (int(v) for v in size.split("x"))
    fmt = VideoFormat(width=width, height=height, fps=30)
    builder = FFmpegCommandBuilder()
    frames = round(seconds * fmt.fps)
    with tempfile.TemporaryDirectory(prefix="choreo-variants-") as temp:
        work = Path(temp)
        clip = work / "clip.mp4"
        await run_process(
            [
                *builder.base_args(),
                "-f", "lavfi", "-i", f"testsrc2=s={size}:r={fmt.fps}",
                "-frames:v", str(frames), "-an",
                *builder.canonical_video_codec_args(fmt), str(clip),
            ],
            stage="bench",
        )  # fmt: skip
        times, sizes = [], []
        for step in steps:
            out = work / f"step{step}"
            out.mkdir()
            started = time.monotonic()
            stream = await retime_clip(
                clip,
                out,
                fmt,
                builder,
                frames=frames,
                target_frames=retimed_frames(frames, step),
                held=HELD_FRAMES,
            )
            times.append(time.monotonic() - started)
            sizes.append(stream.path.stat().st_size)
            print(
                f"{size} step {step:+3d} (x{step_ratio(step):.3f}): {stream.frames} frames, "
                f"{times[-1]:.2f} s, {sizes[-1] / 1e6:.2f} MB"
            )
        own = clip.stat().st_size
        print(
            f"{size}, {seconds:g} s clip of {own / 1e6:.2f} MB: a variant takes "
            f"{statistics.median(times):.2f} s (median, max {max(times):.2f} s) and "
            f"{statistics.median(sizes) / 1e6:.2f} MB ({statistics.median(sizes) / own:.2f}x the clip)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", action="append", help="WxH (repeatable)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--steps", default="-144,-64,-12,12,64,106")
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    for size in args.size or ["1280x720", "320x180"]:
        asyncio.run(bench(size, args.seconds, steps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
