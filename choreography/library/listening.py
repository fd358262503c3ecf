"""Listening to media for the music rules: FFmpeg decodes, choreography.music.analysis reads.

A file's first audio stream is decoded to mono float32 PCM by FFmpeg through the one process
runner; the pure analysis (tempo, first downbeat, energy curve) then runs on the samples in a
worker thread, so the event loop stays free.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from assembly import MEDIA_DEMUXERS, FFmpegCommandBuilder, FFmpegError, run_process
from choreography.music.analysis import (
    SAMPLE_RATE,
    AnalysisError,
    SongAnalysis,
    analyse_samples,
    detect_tempo,
)


async def decode_mono(
    source: Path,
    work_dir: Path,
    builder: FFmpegCommandBuilder,
    *,
    sample_rate: int = SAMPLE_RATE,
    stage: str = "analysing",
    formats: str = MEDIA_DEMUXERS,
    max_seconds: float | None = None,
) -> np.ndarray:
    """The first audio stream of ``source`` as mono float32 PCM (FFmpeg writes it to a file),
    opened only as one of ``formats`` (default: any container the library takes) and read no
    further than ``max_seconds``."""
    target = work_dir / f"{source.stem}.pcm"
    argv = builder.decode_audio_pcm(
        source, target, sample_rate, formats=formats, max_seconds=max_seconds
    )
    try:
        await run_process(argv, stage=stage)
    except FFmpegError as exc:
        raise AnalysisError(
            f"cannot decode the audio of {source.name!r}", stage=stage, details=exc.stderr_tail
        ) from exc
    return await asyncio.to_thread(np.fromfile, target, dtype="<f4")


async def analyse_file(
    source: Path,
    work_dir: Path,
    builder: FFmpegCommandBuilder,
    *,
    bpm: float | None = None,
    first_beat: float | None = None,
) -> SongAnalysis:
    """Decode ``source`` and analyse it in a worker thread."""
    samples = await decode_mono(source, work_dir, builder)
    return await asyncio.to_thread(
        analyse_samples, samples, SAMPLE_RATE, bpm=bpm, first_beat=first_beat
    )


async def detect_clip_tempo(
    source: Path,
    work_dir: Path,
    builder: FFmpegCommandBuilder,
    *,
    formats: str = MEDIA_DEMUXERS,
    max_seconds: float | None = None,
) -> float | None:
    """The tempo of a clip's own audio track, or None if it has none or no clear pulse."""
    samples = await decode_mono(source, work_dir, builder, formats=formats, max_seconds=max_seconds)
    return await asyncio.to_thread(detect_tempo, samples, SAMPLE_RATE)
