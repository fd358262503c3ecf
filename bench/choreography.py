"""How well choreographies follow the music: a script, not a timed test.

    uv run python bench/choreography.py                 # the library in CHOREO_DATA_DIR
    uv run python bench/choreography.py --demo          # a fresh demo library in a temp dir
    uv run python bench/choreography.py --synthetic 150 # plus a library shaped like a real one

For every song and every parameter combination (difficulty x energy x style, several seeds) it
plans a blueprint (the pure generator: no FFmpeg) and prints:

- grid ms: the largest distance from a cut between two moves to the song's 8-count grid, once
  the assembly has rounded it to a frame (at most half a frame: 16.7 ms at 30 fps);
- cover ms: the video's length (whole frames) minus the song's;
- b2b: moves played twice in a row; win: moves back within the 4-move window;
- tempo %: mean |move tempo / song tempo - 1| of the clips as danced (no variants);
  in-tempo %: moves within ±8 %;
- filters %: moves matching difficulty, style and the phrase's (steered) energy level, then the
  share matching each of the three on its own. Shares cover the body (not intro/outro moves).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LEVELS = ("beginner", "intermediate", "advanced")
ENERGIES = ("low", "medium", "high")
STYLES = (None, "romantic", "energetic", "sensual", "playful", "modern", "traditional")


@dataclass
class Row:
    grid_ms: float
    cover_ms: float
    back_to_back: int
    window: int
    tempo_pct: float
    in_tempo_pct: float
    filters_pct: float
    difficulty_pct: float
    style_pct: float
    energy_pct: float
    moves: int
    before: list[float] = field(default_factory=list)
    """Tempo error of every move played at its clip's own tempo (no variants), in %."""
    after: list[float] = field(default_factory=list)
    """Tempo error of every move as played, through its tempo variant, in %."""


def share(items, predicate) -> float:
    return 100 * statistics.fmean(bool(predicate(item)) for item in items) if items else 100.0


def measure(song, library, params, fps: int) -> Row:
    from assembly import frames_for_timeline
    from choreography.music.generator import (
        NO_REPEAT_WINDOW,
        in_tempo,
        plan_choreography,
        styles_for,
        tempo_mismatch,
    )

    plan = plan_choreography(
        task_id="bench", song=song, library=library, params=params, output_key="v/b.mp4", fps=fps
    )
    moves = plan.blueprint.moves
    ends = [m.start_time + m.duration for m in moves]
    frames = list(itertools.accumulate(frames_for_timeline(ends, fps)))
    grid_error = max((plan.grid.nearest_error(f / fps) for f in frames[:-1]), default=0.0)
    names = [p.move.name for p in plan.timeline]
    body = [p for p in plan.timeline if p.section == "body"]
    bpm = 480.0 / plan.grid.phrase
    wanted = styles_for(params.style)
    return Row(
        grid_ms=grid_error * 1000,
        cover_ms=(frames[-1] / fps - song.duration) * 1000,
        back_to_back=sum(a == b for a, b in itertools.pairwise(names)),
        window=sum(name in names[max(0, i - NO_REPEAT_WINDOW) : i] for i, name in enumerate(names)),
        tempo_pct=100 * statistics.fmean(tempo_mismatch(p.move, bpm) for p in body) if body else 0,
        in_tempo_pct=100 * statistics.fmean(in_tempo(p.move, bpm) for p in body) if body else 100,
        filters_pct=share(
            body,
            lambda p: (
                p.move.difficulty == params.difficulty
                and (wanted is None or p.move.style in wanted)
                and p.move.energy_level == p.target_energy
            ),
        ),
        difficulty_pct=share(body, lambda p: p.move.difficulty == params.difficulty),
        style_pct=share(body, lambda p: wanted is None or p.move.style in wanted),
        energy_pct=share(body, lambda p: p.move.energy_level == p.target_energy),
        moves=len(names),
        before=[100 * tempo_mismatch(p.move, bpm) for p in plan.timeline],
        after=[100 * p.tempo_error for p in plan.timeline],
    )


def combine(rows: list[Row]) -> Row:
    return Row(
        grid_ms=max(r.grid_ms for r in rows),
        cover_ms=max((r.cover_ms for r in rows), key=abs),
        back_to_back=sum(r.back_to_back for r in rows),
        window=sum(r.window for r in rows),
        tempo_pct=statistics.fmean(r.tempo_pct for r in rows),
        in_tempo_pct=statistics.fmean(r.in_tempo_pct for r in rows),
        filters_pct=statistics.fmean(r.filters_pct for r in rows),
        difficulty_pct=statistics.fmean(r.difficulty_pct for r in rows),
        style_pct=statistics.fmean(r.style_pct for r in rows),
        energy_pct=statistics.fmean(r.energy_pct for r in rows),
        moves=sum(r.moves for r in rows),
        before=[e for r in rows for e in r.before],
        after=[e for r in rows for e in r.after],
    )


HEADER = (
    f"{'difficulty':<12} {'energy':<6} {'style':<11} {'grid ms':>7} {'cover ms':>8} "
    f"{'b2b':>3} {'win':>3} {'tempo %':>7} {'in-tempo %':>10} {'filters %':>9} "
    f"{'(diff':>5} {'style':>5} {'energy)':>7} {'moves':>5}"
)


def line(label: str, row: Row) -> str:
    return (
        f"{label:<31} {row.grid_ms:7.2f} {row.cover_ms:8.2f} {row.back_to_back:3d} "
        f"{row.window:3d} {row.tempo_pct:7.2f} {row.in_tempo_pct:10.1f} {row.filters_pct:9.1f} "
        f"{row.difficulty_pct:5.0f} {row.style_pct:5.0f} {row.energy_pct:7.0f} {row.moves:5d}"
    )


def bench_library(title: str, songs, library, *, seeds: int, fps: int, quiet: bool) -> list[Row]:
    from choreography.music.generator import Parameters

    print(f"\n== {title}: {len(songs)} songs, {len(library)} moves, {seeds} seed(s), {fps} fps")
    if quiet:
        print(HEADER)
    everything = []
    for song_title, song in songs:
        print(
            f"\n-- {song_title}: {song.duration:.1f} s, {song.bpm:g} BPM, "
            f"first downbeat {song.first_beat:.3f} s"
        )
        if not quiet:
            print(HEADER)
        per_song = []
        for difficulty, energy, style in itertools.product(LEVELS, ENERGIES, STYLES):
            rows = [
                measure(song, library, Parameters(difficulty, energy, style, seed), fps)
                for seed in range(seeds)
            ]
            row = combine(rows)
            per_song.append(row)
            if not quiet:
                print(line(f"{difficulty:<12} {energy:<6} {style or 'any':<11}", row))
        summary = combine(per_song)
        everything.append(summary)
        print(line(f"{'song total':<31}", summary))
    total = combine(everything)
    print(line(f"{'LIBRARY TOTAL':<31}", total))
    print(tempo_line(total))
    return everything


def tempo_line(row: Row) -> str:
    """Median and worst tempo error of the moves, at the clip's own tempo and as played."""
    return (
        f"tempo error of {len(row.after)} moves: no variants median "
        f"{statistics.median(row.before):.2f} % worst {max(row.before):.2f} %; with variants "
        f"median {statistics.median(row.after):.2f} % worst {max(row.after):.2f} %"
    )


def synthetic_library(size: int, seed: int = 1):
    """Moves shaped like a real annotated library: 6-19 s clips at 110-150 BPM, and 3 songs."""
    from choreography.music.catalog import DIFFICULTY_MAP, derive_role, derive_style
    from choreography.music.generator import MoveOption, SongFacts

    rng = random.Random(seed)
    labels = [
        "basic_step", "side_step", "cross_body_lead", "inside_turn", "outside_turn", "body_roll",
        "hip_roll", "dip", "cuddle", "hammerlock", "shadow_position", "tap_and_slide",
        "double_turn", "sombrero", "copa", "intro_pose", "ending_dip",
    ]  # fmt: skip
    library = []
    for i in range(size):
        label = labels[i % len(labels)]
        clip_id = f"clip_{i:03d}"
        library.append(
            MoveOption(
                name=clip_id,
                label=label,
                clip_key=f"clips/{clip_id}.mp4",
                duration=rng.uniform(6.0, 19.0),
                difficulty=DIFFICULTY_MAP[rng.choice(["low", "medium", "high"])],
                energy_level=rng.choice(ENERGIES),
                style=derive_style(label, clip_id),
                tempo_bpm=float(rng.randint(110, 150)),
                role=derive_role(label, clip_id),
            )
        )
    songs = []
    for title, bpm, first, seconds in (
        ("synthetic 112 BPM", 112.0, 0.37, 200.0),
        ("synthetic 128 BPM", 128.0, 2.1, 215.0),
        ("synthetic 144 BPM", 144.0, 0.0, 240.0),
    ):
        phrases = int((seconds - first) / (480 / bpm)) + 1
        curve = tuple(
            [0.12, 0.12, 0.2, 0.2, 0.08][i % 5] * rng.uniform(0.9, 1.1) for i in range(phrases)
        )
        songs.append((title, SongFacts(f"songs/{bpm}.m4a", seconds, bpm, first, curve)))
    return songs, library


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", action="store_true", help="bench a fresh demo library")
    parser.add_argument("--synthetic", type=int, default=0, metavar="N",
                        help="also bench a synthetic library of N moves (e.g. 150)")  # fmt: skip
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--quiet", action="store_true", help="per-song totals only")
    args = parser.parse_args()

    temp = None
    if args.demo:
        temp = tempfile.TemporaryDirectory(prefix="choreo-bench-")
        os.environ["CHOREO_DATA_DIR"] = temp.name
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asgi_project.settings")
    os.environ.setdefault("CHOREO_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    from choreography.library.demo import create_demo_library
    from choreography.library.options import move_option, song_facts
    from choreography.models import Move, Song
    from choreography.runtime import run_sync

    call_command("migrate", interactive=False, verbosity=0)
    if args.demo or not (Song.objects.exists() and Move.objects.exists()):
        print("building the demo library (FFmpeg, songs analysed)...", flush=True)
        run_sync(create_demo_library)
    songs = [(s.title, song_facts(s)) for s in Song.objects.all()]
    library = [move_option(m) for m in Move.objects.all()]
    totals = bench_library(
        "library", songs, library, seeds=args.seeds, fps=args.fps, quiet=args.quiet
    )
    if args.synthetic:
        songs, library = synthetic_library(args.synthetic)
        totals += bench_library(
            f"synthetic library of {args.synthetic}",
            songs,
            library,
            seeds=args.seeds,
            fps=args.fps,
            quiet=args.quiet,
        )
    if temp is not None:
        temp.cleanup()
    worst = combine(totals)
    print(f"\nmax grid error {worst.grid_ms:.2f} ms, max coverage error {worst.cover_ms:.2f} ms, "
          f"back-to-back repeats {worst.back_to_back}, window repeats {worst.window}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
