"""Assembly benchmark: the requirements' original re-encoding pipeline vs our stream-copy engine.

Run: ``uv run python bench/assembly.py [--clips 15] [--song-seconds 240] [--runs 5] [--runs-original 1]
[--concurrency 1,4,16]``

Builds (once, cached under bench/out/) a library of synthetic 1280x720 30 fps clips shaped like
phone footage (H.264 High with B-frames + AAC, 6 or 13 s) and a song, imports them through the real
import path (normalized once to the canonical format), then times side by side in one run:

  (a) original: per-move libx264 ultrafast re-encode, concat copy, final libx264 2M + AAC 128k
  (b) engine:   VideoAssemblyService.assemble() in-process
  (c) http:     POST /api/choreography/generate/ against a live `manage.py serve`
  (d) floor:    plain remux of our output (`ffmpeg -i out.mp4 -c copy`) after each (c), at the
                niceness the engine runs FFmpeg with, so a busy machine delays both alike

  (e) concurrent: at each ``--concurrency`` level N, N generate requests at once (N users),
                then N remuxes of their outputs at once, then N ``cp`` of them at once: the
                median latency of each side by side, the ratios generate/remux and
                generate/cp, and each stage's share of the generate time (the response's
                ``stage_seconds``; "other" is the rest: HTTP, queue, planning, the database)

and prints medians, then the ratios a/c and c/d as its last lines (after the table of (e)).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=15)
    parser.add_argument("--song-seconds", type=float, default=240.0)
    parser.add_argument("--runs", type=int, default=5, help="runs of (b), (c), (d)")
    parser.add_argument("--runs-original", type=int, default=1, help="runs of (a): minutes each")
    parser.add_argument(
        "--concurrency", default="1,4,16", help="levels of (e), comma-separated ('' skips it)"
    )
    return parser.parse_args()


ARGS = parse_args()
OUT = ROOT / "bench" / "out" / f"assembly-{ARGS.clips}x-{int(ARGS.song_seconds)}s"
os.environ["CHOREO_DATA_DIR"] = str(OUT / "data")
os.environ["CHOREO_VIDEO_SIZE"] = "1280x720"
os.environ["CHOREO_LOG_LEVEL"] = "WARNING"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asgi_project.settings")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from asgiref.sync import async_to_sync  # noqa: E402
from django.core.management import call_command  # noqa: E402

from assembly import NICENESS  # noqa: E402
from choreography.accounts.tokens import issue_token  # noqa: E402
from choreography.generation.selectors import clip_hints  # noqa: E402
from choreography.library.imports import ClipMetadata, import_clip, import_song  # noqa: E402
from choreography.library.options import move_option, song_facts  # noqa: E402
from choreography.models import Move, Song  # noqa: E402
from choreography.music.generator import Parameters, plan_choreography  # noqa: E402
from choreography.runtime import Runtime  # noqa: E402

RUNTIME = Runtime.from_settings()  # local storage: nothing bound to an event loop

LEVELS = ("beginner", "intermediate", "advanced")
ENERGIES = ("low", "medium", "high")
STYLES = ("romantic", "energetic", "sensual", "playful")


def ffmpeg(*args: str, niceness: int = 0) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *args],
        check=True,
        preexec_fn=(lambda: os.setpriority(os.PRIO_PROCESS, 0, niceness)) if niceness else None,
    )


def make_sources() -> tuple[list[Path], Path]:
    src = OUT / "sources"
    src.mkdir(parents=True, exist_ok=True)
    clips = []
    for i in range(ARGS.clips):
        seconds = 6 + (i * 7) % 14  # 6 or 13 s
        path = src / f"phone-{i:02d}.mp4"
        if not path.exists():
            ffmpeg(
                "-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=30:d={seconds}",
                "-f", "lavfi", "-i", f"sine=frequency={220 + 20 * i}:duration={seconds}",
                "-vf", f"hue=h={i * 24}",
                "-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-profile:v", "high",
                "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-shortest", str(path),
            )  # fmt: skip
        clips.append(path)
    song = src / "song.wav"
    if not song.exists():
        beat = 0.5
        ffmpeg(
            "-f", "lavfi",
            "-i", f"aevalsrc=exprs='0.5*sin(2*PI*55*t)*exp(-9*mod(t,{beat}))"
            f"+0.1*sin(2*PI*220*t)':s=44100:d={ARGS.song_seconds}",
            "-ac", "2", str(song),
        )  # fmt: skip
    return clips, song


async def import_library(clips: list[Path], song_path: Path) -> Song:
    for i, clip in enumerate(clips):
        await import_clip(
            clip,
            ClipMetadata(
                name=f"phone-{i:02d}",
                label=f"Phone {i}",
                difficulty=LEVELS[i % 3],
                energy_level=ENERGIES[i % 3],
                style=STYLES[i % 4],
            ),
            runtime=RUNTIME,
        )
    song, _ = await import_song(
        song_path, title="Bench Song", artist="bench", bpm=120.0, runtime=RUNTIME
    )
    return song


def original_pipeline(blueprint, storage_root: Path, sources: dict[str, Path], song: Path) -> float:
    """The requirements' pipeline: re-encode every move, concat, re-encode again with the song."""
    work = OUT / "original"
    work.mkdir(exist_ok=True)
    started = time.perf_counter()
    listing = []
    for i, move in enumerate(blueprint.moves):
        segment = work / f"seg{i:03d}.mp4"
        ffmpeg(
            "-i", str(sources[move.video_path]), "-t", f"{move.duration:.3f}",
            "-c:v", "libx264", "-preset", "ultrafast", "-r", "30", "-s", "1280x720",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-ar", "44100", "-ac", "2", str(segment),
        )  # fmt: skip
        listing.append(f"file '{segment}'")
    (work / "list.txt").write_text("\n".join(listing) + "\n")
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(work / "list.txt"), "-c", "copy",
           str(work / "joined.mp4"))  # fmt: skip
    ffmpeg(
        "-i", str(work / "joined.mp4"), "-i", str(song), "-map", "0:v:0", "-map", "1:a:0",
        "-c:v", "libx264", "-b:v", "2M", "-c:a", "aac", "-b:a", "128k", "-shortest",
        str(work / "final.mp4"),
    )  # fmt: skip
    return time.perf_counter() - started


def remux_to(video: Path, output: Path) -> None:
    """The floor: a plain remux of a finished video, at the engine's FFmpeg priority."""
    ffmpeg(
        "-i", str(video), "-c", "copy", "-movflags", "+faststart", str(output), niceness=NICENESS
    )


def at_once(jobs) -> list[float]:
    """Run the callables together (one thread each), each one's seconds."""
    from concurrent.futures import ThreadPoolExecutor

    def timed(job) -> float:
        started = time.perf_counter()
        job()
        return time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(timed, jobs))


def concurrent_rows(base: str, song_id: int, storage_root: Path, levels: list[int]) -> list[str]:
    """(e): per level, N generates at once, then N remuxes and N copies of their outputs."""
    tokens = [async_to_sync(issue_token)(f"bench-{i}") for i in range(max(levels))]
    lines = [
        f"{'N':>3} {'generate':>9} {'remux':>7} {'cp':>7} {'gen/remux':>9} {'gen/cp':>7}  "
        "stage shares of generate (medians)"
    ]
    for level in levels:
        answers: list[dict] = [{} for _ in range(level)]

        def generate(i: int, level: int = level, answers: list = answers) -> None:
            response = httpx.post(
                f"{base}/api/choreography/generate/",
                json={"song_id": song_id, "seed": 1000 * level + i},
                headers={"Authorization": f"Bearer {tokens[i]}"},
                timeout=900,
            )
            response.raise_for_status()
            answers[i] = response.json()

        gen = at_once([lambda i=i: generate(i) for i in range(level)])
        videos = [storage_root / f"videos/{a['task_id']}.mp4" for a in answers]
        remux = at_once(
            [lambda i=i, v=v: remux_to(v, OUT / f"remux-{i}.mp4") for i, v in enumerate(videos)]
        )
        copy = at_once(
            [lambda i=i, v=v: shutil.copyfile(v, OUT / f"cp-{i}.mp4") for i, v in enumerate(videos)]
        )
        g, r, c = (statistics.median(x) for x in (gen, remux, copy))
        stages = sorted({name for a in answers for name in a["stage_seconds"]})
        shares = {
            name: statistics.median(
                a["stage_seconds"].get(name, 0.0) / t for a, t in zip(answers, gen, strict=True)
            )
            for name in stages
        }
        shares["other"] = statistics.median(
            1 - sum(a["stage_seconds"].values()) / t for a, t in zip(answers, gen, strict=True)
        )
        shown = " ".join(f"{name} {100 * share:.0f}%" for name, share in shares.items())
        lines.append(
            f"{level:>3} {g:>8.3f}s {r:>6.3f}s {c:>6.3f}s {g / r:>9.1f} {g / c:>7.0f}  {shown}"
        )
    return lines


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    call_command("migrate", verbosity=0)
    clips, song_path = make_sources()
    song = async_to_sync(import_library)(clips, song_path)
    moves = list(Move.objects.all())
    library = [move_option(m) for m in moves]
    hints = clip_hints(moves)
    source_by_key = {m.clip_key: clips[int(m.name.split("-")[1])] for m in moves}
    storage_root = Path(RUNTIME.storage.root)

    def blueprint_for(run: int):
        return plan_choreography(
            task_id=f"bench-{run}",
            song=song_facts(song),
            library=library,
            params=Parameters(seed=run),
            output_key=f"bench/out-{run}.mp4",
        ).blueprint

    print(f"library: {len(moves)} canonical 1280x720 clips, song {song.duration_seconds:.0f} s")

    # (b) the engine in-process
    engine, stages = [], []
    for run in range(ARGS.runs):
        blueprint = blueprint_for(run)
        started = time.perf_counter()
        result = async_to_sync(RUNTIME.assembler.assemble)(
            blueprint, clip_hints=hints, audio_is_canonical=True
        )
        engine.append(time.perf_counter() - started)
        stages.append(result.stage_seconds)
    print(
        f"(b) engine (service): {len(blueprint.moves)} moves, runs {[round(t, 3) for t in engine]}"
    )
    medians = {name: round(statistics.median(s[name] for s in stages), 3) for name in stages[0]}
    print(f"    median stage seconds: {medians}")

    # (c) end to end through HTTP against a live server
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "asgi_project.settings"}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--no-demo"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    http, floor, table = [], [], []
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        token = async_to_sync(issue_token)("bench")
        with httpx.Client(timeout=600, headers={"Authorization": f"Bearer {token}"}) as client:
            for run in range(ARGS.runs):
                started = time.perf_counter()
                response = client.post(
                    f"{base}/api/choreography/generate/", json={"song_id": song.id, "seed": run}
                )
                http.append(time.perf_counter() - started)
                response.raise_for_status()
                # (d) the floor: a plain remux of that output, right after it (the load of a
                # shared machine changes by the minute), at the engine's FFmpeg priority.
                video = storage_root / f"videos/{response.json()['task_id']}.mp4"
                started = time.perf_counter()
                remux_to(video, OUT / "remux.mp4")
                floor.append(time.perf_counter() - started)
        if ARGS.concurrency:
            levels = [int(n) for n in ARGS.concurrency.split(",")]
            table = concurrent_rows(base, song.id, storage_root, levels)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"(c) engine (HTTP): runs {[round(t, 3) for t in http]}")
    print(f"(d) remux floor: runs {[round(t, 3) for t in floor]}")
    if table:
        print(f"(e) concurrent requests, {song.duration_seconds:.0f} s song at 1280x720, load "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores:")  # fmt: skip
        print("\n".join(f"    {line}" for line in table))

    # (a) the original pipeline (slow: minutes per run)
    original = [
        original_pipeline(blueprint_for(run), storage_root, source_by_key, song_path)
        for run in range(ARGS.runs_original)
    ]
    print(f"(a) original pipeline: runs {[round(t, 1) for t in original]}")

    b, c, d = (statistics.median(x) for x in (engine, http, floor))
    a = statistics.median(original) if original else float("nan")
    print(f"medians: a={a:.2f}s b={b:.3f}s c={c:.3f}s d={d:.3f}s")
    print(f"a/c = {a / c:.0f}")
    print(f"c/d = {c / d:.2f}")


if __name__ == "__main__":
    main()
