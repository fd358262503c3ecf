"""Import-time normalization: bring a clip or song into the canonical format, once.

Files that already match are left untouched, so re-importing never re-encodes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from assembly.commands import FFmpegCommandBuilder
from assembly.elementary import parse_packet_index
from assembly.errors import FFmpegError, MediaError
from assembly.formats import AudioFormat, VideoFormat
from assembly.probe import MediaInfo, probe
from assembly.runner import run_process


@dataclass(frozen=True)
class PreparedMedia:
    path: Path
    info: MediaInfo
    transcoded: bool


@dataclass(frozen=True)
class ElementaryStream:
    """A canonical clip's video as Annex B H.264 plus where each frame starts (elementary.py)."""

    path: Path
    offsets: tuple[int, ...]

    @property
    def frames(self) -> int:
        return len(self.offsets) - 1


async def elementary_stream(
    clip: Path, output: Path, builder: FFmpegCommandBuilder, *, stage: str = "importing"
) -> ElementaryStream:
    """Rewrap a canonical clip as an elementary stream (a copy, no encode) and index its frames."""
    try:
        await run_process(builder.to_annexb(clip, output), stage=stage)
        listing = await run_process(builder.packet_index(output), stage=stage)
    except FFmpegError as exc:
        raise MediaError(
            f"cannot index {clip.name!r}", stage=stage, details=exc.stderr_tail
        ) from exc
    offsets = parse_packet_index(listing.stdout)
    if len(offsets) < 2:
        raise MediaError(f"{clip.name!r} has no video frames", stage=stage)
    return ElementaryStream(output, offsets)


async def extract_poster(
    clip: Path, output: Path, builder: FFmpegCommandBuilder, *, duration: float
) -> Path:
    """A JPEG of the frame in the middle of ``clip``: what a player shows before it plays."""
    try:
        await run_process(builder.poster(clip, output, at_seconds=duration / 2), stage="importing")
    except FFmpegError as exc:
        raise MediaError(
            f"cannot take a poster from {clip.name!r}", stage="importing", details=exc.stderr_tail
        ) from exc
    if not await asyncio.to_thread(lambda: output.exists() and output.stat().st_size > 0):
        raise MediaError(f"{clip.name!r} gave no poster frame", stage="importing")
    return output


async def prepare_clip(
    source: Path, work_dir: Path, fmt: VideoFormat, builder: FFmpegCommandBuilder
) -> PreparedMedia:
    """A canonical version of ``source`` (the file itself when it already is one)."""
    info = await probe(source, builder, stage="importing")
    if info.video is None:
        raise MediaError(f"{source.name!r} has no video stream", stage="importing")
    if info.is_canonical_clip(fmt):
        return PreparedMedia(source, info, transcoded=False)
    target = work_dir / f"{source.stem}.canonical.mp4"
    await _transcode(builder.normalize_clip(source, target, fmt), source)
    return PreparedMedia(target, await probe(target, builder, stage="importing"), transcoded=True)


async def prepare_song(
    source: Path, work_dir: Path, fmt: AudioFormat, builder: FFmpegCommandBuilder
) -> PreparedMedia:
    """An AAC/M4A version of ``source`` (the file itself when it already is one)."""
    info = await probe(source, builder, count_frames=False, stage="importing")
    if info.audio is None:
        raise MediaError(f"{source.name!r} has no audio stream", stage="importing")
    if info.is_canonical_song(fmt):
        return PreparedMedia(source, info, transcoded=False)
    target = work_dir / f"{source.stem}.canonical.m4a"
    await _transcode(builder.normalize_audio(source, target, fmt), source)
    info = await probe(target, builder, count_frames=False, stage="importing")
    return PreparedMedia(target, info, transcoded=True)


async def _transcode(argv: list[str], source: Path) -> None:
    """Run a normalization; an FFmpeg failure becomes a MediaError naming the file."""
    try:
        await run_process(argv, stage="importing")
    except FFmpegError as exc:
        raise MediaError(
            f"cannot transcode {source.name!r}", stage="importing", details=exc.stderr_tail
        ) from exc
