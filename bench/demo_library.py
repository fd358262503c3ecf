"""How long the demo library takes to build (target: under 60 s on 2 cores at the default size).

    uv run python bench/demo_library.py [--video-size 1280x720] [--render-fps N]

Builds the whole demo library (songs, every dancing clip, posters) in a throw-away data
directory through the same code path as ``serve`` on an empty library, and prints the wall
time, the frames encoded, the CPU time this process spent (drawing, synthesizing, importing)
and the CPU time of its FFmpeg children. Their sum over the core count is the wall time on an
otherwise idle machine (less what cannot overlap); on a machine shared with other work the
wall time is longer, the CPU time is not.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.fresh_django import django_in_a_fresh_data_dir  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video-size", default="1280x720", help="CHOREO_VIDEO_SIZE")
    parser.add_argument("--render-fps", type=int, default=None, help="frames drawn per second")
    return parser.parse_args()


async def bench(render_fps: int | None) -> None:
    from django.core.management import call_command

    from choreography.library.demo import create_demo_library
    from choreography.library.variants import warm_library
    from choreography.models import Move
    from choreography.runtime import Runtime

    runtime = Runtime.from_settings()
    try:
        await asyncio.to_thread(call_command, "migrate", verbosity=0)
        load = os.getloadavg()[0]
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        # As serve builds it: usable first, tempo variants after (in serve, in the background).
        songs, moves = await create_demo_library(render_fps=render_fps, warm=False, runtime=runtime)
        elapsed = time.monotonic() - started
        usable = resource.getrusage(resource.RUSAGE_SELF)
        usable_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        warm_started = time.monotonic()
        variants = await warm_library(shuffled=True, runtime=runtime)
        warm_elapsed = time.monotonic() - warm_started
        after = resource.getrusage(resource.RUSAGE_SELF)
        after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        frames = sum([m.frames async for m in Move.objects.all()])
        fmt = runtime.video_format
        own = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
        ffmpeg = (
            after_children.ru_utime
            + after_children.ru_stime
            - children.ru_utime
            - children.ru_stime
        )
        build_cpu = (usable.ru_utime + usable.ru_stime - cpu.ru_utime - cpu.ru_stime) + (
            usable_children.ru_utime
            + usable_children.ru_stime
            - children.ru_utime
            - children.ru_stime
        )
        print(
            f"{fmt.width}x{fmt.height}: usable after {build_cpu:.1f} s of CPU (songs and clips, "
            "before the variants)"
        )
        print(
            f"{fmt.width}x{fmt.height}: {songs} songs, {moves} moves, {frames} frames "
            f"in {elapsed:.1f} s on {os.cpu_count()} cores (load average before: "
            f"{load:.1f}); CPU: {own:.1f} s this process + {ffmpeg:.1f} s FFmpeg = "
            f"{own + ffmpeg:.1f} s, {(own + ffmpeg) / (os.cpu_count() or 1):.1f} s per core "
            f"(the CPU figures include the variants); then {variants} tempo variants in "
            f"{warm_elapsed:.1f} s"
        )
    finally:
        await runtime.aclose()


def main() -> None:
    args = parse_args()
    with django_in_a_fresh_data_dir("choreo-bench-demo-", CHOREO_VIDEO_SIZE=args.video_size):
        asyncio.run(bench(args.render_fps))


if __name__ == "__main__":
    main()
