"""The demo library: songs with an audible beat and a dancing couple for every move, synthesized.

Nothing is committed: ``serve`` builds it in seconds when the library is empty. Each move is a
figure of pose keyframes per count (choreography.library.figures) danced on its own tempo's
beats, drawn by Pillow (choreography.library.stage) in a worker thread and piped as raw frames
into FFmpeg, which encodes them directly in the canonical format, so importing them transcodes
nothing. Songs go through the real analysis (their known tempo is passed; the first downbeat
after a short intro and the per-phrase energy of their quiet and loud sections are measured).
The 48 moves (choreography.library.demo_moves: 16 per level, each figure seen from several
camera views) are danced at 120-136 BPM, one or two 8-counts long; an intro and an outro move
frame the choreography. Nothing is written on the clips: the player overlays names and counts.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assembly import FFmpegCommandBuilder, VideoFormat, run_process, work_dir
from choreography.library.demo_moves import (
    DEMO_FRAMING,
    MARKED_FIGURES,
    VIEWS,
    demo_move_metadata,
    demo_move_of,
)
from choreography.library.figures import FIGURES
from choreography.library.imports import ClipMetadata, import_clip, import_song
from choreography.library.stage import PIX_FMT, Stage, frames
from choreography.library.variants import warm_library

if TYPE_CHECKING:
    from choreography.runtime import Runtime

logger = logging.getLogger(__name__)

FRAMES_PER_WRITE = 6
"""Frames rendered per trip to the worker thread: few trips, little memory."""


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


def figure_of(meta: ClipMetadata) -> str:
    """The figure a demo move dances."""
    return demo_move_of(meta.name)[0]


def clip_command(
    builder: FFmpegCommandBuilder, fmt: VideoFormat, output: Path, *, render_fps: int
) -> list[str]:
    """Encode raw frames from stdin, rendered at ``render_fps``, as a canonical clip."""
    return [
        *builder.base_args(),
        "-f", "rawvideo", "-pix_fmt", PIX_FMT,
        "-s", f"{fmt.width}x{fmt.height}", "-framerate", str(render_fps),
        "-i", "pipe:0",
        "-vf", f"format={fmt.pix_fmt},fps={fmt.fps}",
        "-an",
        *builder.canonical_video_codec_args(fmt),
        str(output),
    ]  # fmt: skip


async def rendered(stage: Stage, meta: ClipMetadata, *, render_fps: int) -> AsyncIterator[bytes]:
    """The move's frames, drawn on ``stage`` in a worker thread a few frames at a time (each
    one written as it is, no joined copies)."""
    figure, view = demo_move_of(meta.name)
    source = frames(
        stage,
        FIGURES[figure],
        tempo_bpm=meta.tempo_bpm or 120.0,
        fps=render_fps,
        yaw=VIEWS[view],
        marks=figure in MARKED_FIGURES,
    )

    def take(source: Iterator[bytes]) -> list[bytes]:
        return list(itertools.islice(source, FRAMES_PER_WRITE))

    while batch := await asyncio.to_thread(take, source):
        for frame in batch:
            yield frame


SAMPLE_RATE = 44100


def song_samples(song: DemoSong, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A beat you can hear, as mono float32: a kick on every beat, a click on count 1 of each
    bar, a soft pad (numpy: a fraction of a second, where FFmpeg's aevalsrc took seconds).

    After ``song.intro`` seconds of pad, 8-count phrases cycle verse, verse, chorus (louder),
    break (quieter), so the energy curve has something to steer by.
    """
    beat = 60.0 / song.bpm
    t = np.arange(round(song.seconds * sample_rate), dtype=np.float64) / sample_rate
    x = t - song.intro
    section = np.mod(np.floor(x / (8 * beat)), 4)
    gain = (x >= 0) * (0.6 + 0.4 * (section == 2) - 0.3 * (section == 3))
    kick = 0.55 * np.sin(2 * np.pi * 55 * t) * np.exp(-9 * np.mod(x, beat))
    click = 0.35 * np.sin(2 * np.pi * 1320 * t) * np.exp(-45 * np.mod(x, 4 * beat))
    pad = 0.08 * np.sin(2 * np.pi * 220 * t) + 0.06 * np.sin(2 * np.pi * 277.2 * t)
    return (gain * (kick + click) + pad).astype(np.float32)


def song_command(
    builder: FFmpegCommandBuilder, output: Path, sample_rate: int = SAMPLE_RATE
) -> list[str]:
    """Encode mono float32 samples from stdin as a stereo AAC song."""
    return [
        *builder.base_args(),
        "-f", "f32le", "-ar", str(sample_rate), "-ac", "1",
        "-i", "pipe:0",
        "-ac", "2", "-c:a", "aac", "-aac_coder", "fast", "-b:a", "128k",
        "-movflags", "+faststart",
        str(output),
    ]  # fmt: skip


async def _chunks(data: bytes, size: int = 1 << 20) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def create_demo_library(
    *,
    songs: tuple[DemoSong, ...] = DEMO_SONGS,
    move_count: int | None = None,
    render_fps: int | None = None,
    warm: bool = True,
    progress: Callable[[str], None] | None = None,
    runtime: Runtime,
) -> tuple[int, int]:
    """Synthesize and import the demo library; returns (songs, moves) created.

    ``progress`` is told each song and every few clips as they are imported (``serve`` prints
    it: the build takes a while on a busy machine).

    With ``warm`` the tempo variants its songs need are rendered before it returns; ``serve``
    leaves them to the server's background warm-up, so the library is usable sooner.

    Frames are drawn at ``render_fps`` (default: half the video rate, each shown twice) and
    FFmpeg brings them to the canonical rate: half the drawing and encoding, still smooth.
    """
    current = runtime
    fmt = current.video_format
    builder = FFmpegCommandBuilder(current.config.ffmpeg, current.config.ffprobe)
    parallel = asyncio.Semaphore(max(1, current.config.max_concurrent_assemblies))
    metas = [*demo_move_metadata(move_count), *DEMO_FRAMING]
    render_fps = render_fps or max(1, fmt.fps // 2)
    # One stage (background drawn once) for every clip: frames are drawn on copies of it.
    stage = await asyncio.to_thread(Stage, fmt.width, fmt.height)
    created_songs = created_moves = 0
    done = {"clip": 0, "song": 0}
    totals = {"clip": len(metas), "song": len(songs)}

    def report(kind: str, name: str) -> None:
        done[kind] += 1
        if progress and (kind == "song" or done[kind] % 5 == 0 or done[kind] == totals[kind]):
            progress(f"demo library: {kind} {done[kind]}/{totals[kind]} ({name})")

    async with work_dir(current.work_root, "demo-") as work:

        async def make_clip(meta: ClipMetadata) -> bool:
            path = work / f"{meta.name}.mp4"
            async with parallel:
                await run_process(
                    clip_command(builder, fmt, path, render_fps=render_fps),
                    stage="demo",
                    stdin=rendered(stage, meta, render_fps=render_fps),
                )
            _, created = await import_clip(path, meta, runtime=runtime)
            report("clip", meta.name)
            return created

        async def make_song(song: DemoSong) -> bool:
            path = work / f"{song.title}.m4a"
            async with parallel:
                samples = await asyncio.to_thread(lambda: song_samples(song).tobytes())
                await run_process(song_command(builder, path), stage="demo", stdin=_chunks(samples))
            # The known tempo is passed; the first downbeat and the energy curve are measured.
            _, created = await import_song(
                path,
                title=song.title,
                artist=song.artist,
                bpm=song.bpm,
                warm=False,
                runtime=runtime,
            )
            report("song", song.title)
            return created

        # A TaskGroup, not gather: one failure cancels (and so reaps) every other FFmpeg.
        async with asyncio.TaskGroup() as group:
            song_tasks = [group.create_task(make_song(song)) for song in songs]
            clip_tasks = [group.create_task(make_clip(meta)) for meta in metas]
        created_songs = sum(task.result() for task in song_tasks)
        created_moves = sum(task.result() for task in clip_tasks)
    if warm:  # songs and clips were imported side by side: warm once both are in
        if progress:
            progress("demo library: rendering the songs' tempo variants")
        await warm_library(runtime=runtime)
    logger.info("demo library: %d songs, %d moves created", created_songs, created_moves)
    return created_songs, created_moves
