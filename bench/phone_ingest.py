"""How long an uploaded phone clip takes to be ready to cut (target: under 10 s on 2 cores).

    uv run python bench/phone_ingest.py [--runs 3] [--seconds 30] [--bpm 124]

Synthesizes what a phone held upright records (once, cached in ~/.cache/choreo-bench): a
1080x1920 60 fps HEVC clip (coded 1920x1080 with a 90° display matrix, a keyframe a second,
libx265 ultrafast) with a click track at a known tempo as AAC. Then runs the upload's analysis
(``analyse_upload``: probe, sound decoded and analysed, 8 posters, original kept) ``--runs``
times in a fresh data dir and prints the median, and once each the steps that follow in the
background or on demand: the preview of the proposed cut and its normalization to the
library's canonical format (``--video-size``, 1280x720 by default).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.fresh_django import django_in_a_fresh_data_dir  # noqa: E402

CACHE = Path.home() / ".cache" / "choreo-bench"


def click_expr(bpm: float, first_beat: float) -> str:
    """Clicks on every beat from ``first_beat``, count 1 of each bar louder and higher."""
    beat = 60.0 / bpm
    x = f"(t-{first_beat:.6f})"
    phase = f"mod({x}+{8 * beat:.6f},{beat:.6f})"
    bar = f"mod({x}+{8 * beat:.6f},{4 * beat:.6f})"
    click = f"if(lt({bar},{beat / 2:.6f}),0.8*sin(2*PI*1760*t),0.45*sin(2*PI*880*t))"
    return f"gte(t,{first_beat - 0.001:.6f})*{click}*exp(-40*{phase})+0.05*sin(2*PI*220*t)"


def phone_clip(seconds: float, bpm: float, first_beat: float) -> Path:
    """The synthesized phone clip (made once per set of parameters)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / f"phone-{seconds:g}s-{bpm:g}bpm-{first_beat:g}.mov"
    if target.exists():
        return target
    coded = CACHE / "coded.mov"
    started = time.monotonic()
    subprocess.run(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=60:d={seconds}",
            "-f", "lavfi", "-i", f"aevalsrc=exprs='{click_expr(bpm, first_beat)}':s=44100:d={seconds}",
            "-c:v", "libx265", "-preset", "ultrafast", "-tag:v", "hvc1",
            "-x265-params", "log-level=error:keyint=60:min-keyint=60",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-shortest",
            "-f", "mov", str(coded),
        ],
        check=True,
    )  # fmt: skip
    subprocess.run(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(coded), "-map", "0",
            "-c", "copy", "-metadata:s:v:0", "rotate=90", "-f", "mov", str(target),
        ],
        check=True,
    )  # fmt: skip
    coded.unlink()
    print(f"synthesized {target.name} in {time.monotonic() - started:.1f} s")
    return target


async def bench(clip: Path, runs: int, bpm: float) -> None:
    from django.core.management import call_command

    from choreography.library.uploaded_moves import (
        analyse_upload,
        cut_and_normalize,
        discard_upload,
        preview_cut,
    )
    from choreography.runtime import Runtime

    runtime = Runtime.from_settings()
    try:
        await asyncio.to_thread(call_command, "migrate", verbosity=0)
        load = os.getloadavg()[0]
        times = []
        analysis = None
        for run in range(runs):
            if analysis is not None:
                await discard_upload(analysis, runtime=runtime)
            started = time.monotonic()
            analysis = await analyse_upload(clip, filename="cross body lead.mov", runtime=runtime)
            times.append(time.monotonic() - started)
            print(f"analysis run {run + 1}: {times[-1]:.2f} s")
        assert analysis is not None
        facts = analysis.facts
        print(
            f"clip: {facts.width}x{facts.height} (coded {facts.coded_width}x{facts.coded_height},"
            f" rotation {facts.rotation}), {facts.fps:g} fps, {facts.codec}, "
            f"{facts.duration:.1f} s; tempo {analysis.tempo_bpm} (click track {bpm:g}), "
            f"proposed cut: {analysis.proposed.counts} 8-counts from "
            f"{analysis.proposed.start_seconds:.3f} s"
        )
        print(
            f"ready to cut (analysis) median {statistics.median(times):.2f} s over {runs} runs "
            f"(min {min(times):.2f}, max {max(times):.2f}) on {os.cpu_count()} cores, "
            f"load average before {load:.1f}"
        )
        started = time.monotonic()
        await preview_cut(analysis, analysis.proposed, runtime=runtime)
        print(f"preview of the proposed cut (360p, clicks): {time.monotonic() - started:.2f} s")
        started = time.monotonic()
        move, _ = await cut_and_normalize(analysis, analysis.proposed, warm=False, runtime=runtime)
        fmt = runtime.video_format
        print(
            f"normalized {move.frames} frames to {fmt.label} in "
            f"{time.monotonic() - started:.2f} s (background)"
        )
    finally:
        await runtime.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--bpm", type=float, default=124.0)
    parser.add_argument("--video-size", default="1280x720", help="CHOREO_VIDEO_SIZE")
    args = parser.parse_args()
    clip = phone_clip(args.seconds, args.bpm, 0.6)
    with django_in_a_fresh_data_dir("choreo-bench-phone-", CHOREO_VIDEO_SIZE=args.video_size):
        asyncio.run(bench(clip, args.runs, args.bpm))


if __name__ == "__main__":
    main()
