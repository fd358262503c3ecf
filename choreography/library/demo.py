"""The demo library: songs with an audible beat and visually distinct move clips, made by FFmpeg.

Nothing is committed: ``serve`` builds it in seconds when the library is empty. Clips are
synthesized directly in the canonical format, so importing them transcodes nothing. Songs go
through the real analysis (their known tempo is passed; the first downbeat after a short intro
and the per-phrase energy of their quiet and loud sections are measured). Clips are danced at
112-144 BPM, one or two 8-counts long; one intro and one outro move frame the choreography.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from pathlib import Path

from assembly import FFmpegCommandBuilder, VideoFormat, run_process, work_dir
from choreography import runtime
from choreography.library.imports import ClipMetadata, import_clip, import_song
from choreography.library.variants import warm_library
from choreography.models import Difficulty, EnergyLevel, Style

logger = logging.getLogger(__name__)

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


@dataclass(frozen=True)
class DemoSong:
    title: str
    artist: str
    bpm: float
    seconds: float
    intro: float = 0.0
    """Seconds of pad before the first downbeat."""


DEMO_SONGS = (
    DemoSong("Demo Bachata Lenta", "choreo synth", 112.0, 34.0, intro=1.2),
    DemoSong("Demo Bachata Clásica", "choreo synth", 128.0, 45.0, intro=0.0),
    DemoSong("Demo Bachata Rápida", "choreo synth", 144.0, 60.0, intro=0.6),
)
CLIP_TEMPOS = (112.0, 120.0, 128.0, 136.0, 144.0)
"""Demo clips are "danced" at these tempos in turn, so every demo song has moves in tempo."""

MOVE_NAMES = (
    "basic-step", "side-step", "box-step", "cross-body-lead", "inside-turn", "outside-turn",
    "hammerlock", "cuddle", "shadow-position", "body-roll", "hip-roll", "dip",
    "copa", "titanic", "sombrero", "dile-que-no", "tap-and-slide", "double-turn",
    "cradle", "wave", "ocho", "mambo-step", "cha-cha-tap", "spin-out",
)  # fmt: skip


def demo_move_metadata(count: int = 24) -> list[ClipMetadata]:
    """Metadata covering every difficulty, energy level and style at least once."""
    styles = itertools.cycle(list(Style))
    difficulties = itertools.cycle(list(Difficulty))
    energies = itertools.cycle(
        [EnergyLevel.LOW, EnergyLevel.MEDIUM, EnergyLevel.HIGH, EnergyLevel.MEDIUM]
    )
    result = []
    for index in range(count):
        name = MOVE_NAMES[index % len(MOVE_NAMES)] + (
            "" if index < len(MOVE_NAMES) else f"-{index}"
        )
        result.append(
            ClipMetadata(
                name=name,
                label=name.replace("-", " ").title(),
                difficulty=next(difficulties),
                energy_level=next(energies),
                style=next(styles),
                tempo_bpm=CLIP_TEMPOS[index % len(CLIP_TEMPOS)],
            )
        )
    return result


DEMO_FRAMING = (
    ClipMetadata("welcome", "Welcome", "beginner", "low", "romantic", 120.0, role="intro"),
    ClipMetadata("final-pose", "Final Pose", "beginner", "low", "sensual", 128.0, role="outro"),
)
"""An intro move (before the first downbeat) and an outro move (the song's last phrases)."""


def _font() -> str | None:
    return next((path for path in FONT_CANDIDATES if Path(path).exists()), None)


def clip_command(
    builder: FFmpegCommandBuilder,
    meta: ClipMetadata,
    index: int,
    seconds: float,
    fmt: VideoFormat,
    output: Path,
) -> list[str]:
    """A visually distinct clip: its own hue, a bouncing label whose speed follows its energy."""
    speed = {"low": 0.25, "medium": 0.5, "high": 1.0}[meta.energy_level]
    hue = (index * 47) % 360
    filters = [f"hue=h={hue}:s=1.3"]
    font = _font()
    if font:
        size = max(12, fmt.height // 9)
        text = meta.label.replace("'", "").replace(":", "")
        filters.append(
            f"drawtext=fontfile={font}:text='{text}':fontsize={size}:fontcolor=white"
            f":box=1:boxcolor=black@0.6:boxborderw={size // 4}"
            f":x=(w-tw)/2+(w/4)*sin(2*PI*{speed}*t):y=(h-th)/2+(h/5)*cos(2*PI*{speed * 2}*t)"
        )
        filters.append(
            f"drawtext=fontfile={font}:text='{meta.difficulty} / {meta.energy_level} / {meta.style}'"
            f":fontsize={size // 2}:fontcolor=white:x=10:y=h-th-10:box=1:boxcolor=black@0.5"
        )
    return [
        *builder.base_args(),
        "-f", "lavfi",
        "-i", f"testsrc2=s={fmt.width}x{fmt.height}:r={fmt.fps}:d={seconds}",
        "-vf", ",".join(filters),
        "-an",
        *builder.canonical_video_codec_args(fmt),
        str(output),
    ]  # fmt: skip


def song_command(builder: FFmpegCommandBuilder, song: DemoSong, output: Path) -> list[str]:
    """A beat you can hear: a kick on every beat, a click on count 1 of each bar, a soft pad.

    After ``song.intro`` seconds of pad, 8-count phrases cycle verse, verse, chorus (louder),
    break (quieter), so the energy curve has something to steer by.
    """
    beat = 60.0 / song.bpm
    x = f"(t-{song.intro:.6f})"
    section = f"mod(floor({x}/{8 * beat:.6f}),4)"
    gain = f"gte({x},0)*(0.6+0.4*eq({section},2)-0.3*eq({section},3))"
    expr = (
        f"{gain}*(0.55*sin(2*PI*55*t)*exp(-9*mod({x},{beat:.6f}))"
        f"+0.35*sin(2*PI*1320*t)*exp(-45*mod({x},{4 * beat:.6f})))"
        f"+0.08*sin(2*PI*220*t)+0.06*sin(2*PI*277.2*t)"
    )
    return [
        *builder.base_args(),
        "-f", "lavfi",
        "-i", f"aevalsrc=exprs='{expr}':s=44100:d={song.seconds}",
        "-ac", "2", "-c:a", "aac", "-b:a", "128k",
        "-movflags", "+faststart",
        str(output),
    ]  # fmt: skip


async def create_demo_library(
    *,
    songs: tuple[DemoSong, ...] = DEMO_SONGS,
    move_count: int = 24,
    beats_per_clip: int = 8,
) -> tuple[int, int]:
    """Synthesize and import the demo library; returns (songs, moves) created."""
    current = runtime.current()
    fmt = current.video_format
    builder = FFmpegCommandBuilder(current.config.ffmpeg, current.config.ffprobe)
    parallel = asyncio.Semaphore(max(1, current.config.max_concurrent_assemblies))
    metas = [*demo_move_metadata(move_count), *DEMO_FRAMING]
    created_songs = created_moves = 0

    async with work_dir(current.work_root, "demo-") as work:

        async def make_clip(index: int, meta: ClipMetadata) -> bool:
            # Alternate one and two 8-counts so moves differ in length too.
            counts = {"intro": 1, "outro": 2}.get(meta.role) or (1 if index % 3 else 2)
            seconds = counts * beats_per_clip * 60.0 / (meta.tempo_bpm or 120.0)
            path = work / f"{meta.name}.mp4"
            async with parallel:
                await run_process(
                    clip_command(builder, meta, index, seconds, fmt, path), stage="demo"
                )
            _, created = await import_clip(path, meta)
            return created

        async def make_song(song: DemoSong) -> bool:
            path = work / f"{song.title}.m4a"
            async with parallel:
                await run_process(song_command(builder, song, path), stage="demo")
            # The known tempo is passed; the first downbeat and the energy curve are measured.
            _, created = await import_song(
                path, title=song.title, artist=song.artist, bpm=song.bpm, warm=False
            )
            return created

        # A TaskGroup, not gather: one failure cancels (and so reaps) every other FFmpeg.
        async with asyncio.TaskGroup() as group:
            song_tasks = [group.create_task(make_song(song)) for song in songs]
            clip_tasks = [group.create_task(make_clip(i, m)) for i, m in enumerate(metas)]
        created_songs = sum(task.result() for task in song_tasks)
        created_moves = sum(task.result() for task in clip_tasks)
    # Songs and clips were imported side by side: warm once both are in.
    await warm_library()
    logger.info("demo library: %d songs, %d moves created", created_songs, created_moves)
    return created_songs, created_moves
