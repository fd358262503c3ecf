"""Import-time normalization: bring a clip or song into the canonical format, once.

Files that already match (a song: also at the target loudness) are left untouched, so
re-importing never re-encodes. Given ``InputLimits`` (an import), the source is opened only as
an allowed container and checked from its probe before anything is decoded (assembly.limits).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from assembly.commands import FFmpegCommandBuilder
from assembly.elementary import parse_framecrc
from assembly.errors import FFmpegError, MediaError
from assembly.formats import AudioFormat, VideoFormat
from assembly.limits import (
    MEDIA_DEMUXERS,
    MOVE_DEMUXERS,
    SONG_DEMUXERS,
    InputLimits,
    check_clip,
    check_song,
)
from assembly.loudness import (
    LoudnessMeasurement,
    LoudnessResult,
    linear_gain,
    on_target,
    parse_ebur128_summary,
    parse_loudnorm_output,
)
from assembly.probe import MediaInfo, probe
from assembly.runner import ProcessResult, run_process


@dataclass(frozen=True)
class PreparedMedia:
    path: Path
    info: MediaInfo
    transcoded: bool
    loudness: LoudnessResult | None = None
    """Songs: the source's loudness and the stored file's (None for silence)."""


@dataclass(frozen=True)
class ElementaryStream:
    """A canonical clip's video as Annex B H.264 plus where each frame starts (elementary.py)."""

    path: Path
    offsets: tuple[int, ...]

    @property
    def frames(self) -> int:
        return len(self.offsets) - 1


async def elementary_stream(
    clip: Path,
    output: Path,
    builder: FFmpegCommandBuilder,
    *,
    stage: str = "importing",
    poster: tuple[Path, float] | None = None,
) -> ElementaryStream:
    """Rewrap a canonical clip as an elementary stream (a copy, no encode) and index its frames,
    in one FFmpeg run; ``poster`` (path, seconds) takes the poster frame in that run too."""
    packets = output.with_name(f"{output.name}.framecrc")
    try:
        await run_process(builder.to_annexb(clip, output, packets, poster=poster), stage=stage)
    except FFmpegError as exc:
        what = "index" if poster is None else "index or take a poster from"
        raise MediaError(
            f"cannot {what} {clip.name!r}", stage=stage, details=exc.stderr_tail
        ) from exc
    offsets = parse_framecrc(await asyncio.to_thread(packets.read_text))
    if len(offsets) < 2:
        raise MediaError(f"{clip.name!r} has no video frames", stage=stage)
    if poster is not None and not await asyncio.to_thread(_non_empty, poster[0]):
        raise MediaError(f"{clip.name!r} gave no poster frame", stage=stage)
    return ElementaryStream(output, offsets)


def _non_empty(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


async def retime_clip(
    source: Path,
    work_dir: Path,
    fmt: VideoFormat,
    builder: FFmpegCommandBuilder,
    *,
    frames: int,
    target_frames: int,
    held: int = 0,
    stage: str = "retiming",
) -> ElementaryStream:
    """A canonical clip of ``frames`` frames re-timed to ``target_frames``, its last frame then
    held ``held`` frames more, as an indexed stream.

    MediaError when FFmpeg fails or the result does not have exactly ``target_frames + held``
    frames.
    """
    total = target_frames + held
    encoded = work_dir / f"{source.stem}.retimed.mp4"
    try:
        await run_process(
            builder.retime_clip(
                source, encoded, fmt, frames=frames, target_frames=target_frames, held=held
            ),
            stage=stage,
        )
    except FFmpegError as exc:
        raise MediaError(
            f"cannot re-time {source.name!r}", stage=stage, details=exc.stderr_tail
        ) from exc
    stream = await elementary_stream(
        encoded, work_dir / f"{source.stem}.retimed.h264", builder, stage=stage
    )
    if stream.frames != total:
        raise MediaError(
            f"re-timing {source.name!r} gave {stream.frames} frames, not {total}",
            stage=stage,
        )
    return stream


async def prepare_clip(
    source: Path,
    work_dir: Path,
    fmt: VideoFormat,
    builder: FFmpegCommandBuilder,
    *,
    info: MediaInfo | None = None,
    limits: InputLimits | None = None,
) -> PreparedMedia:
    """A canonical version of ``source`` (the file itself when it already is one); ``info`` is
    ``source``'s probe (with frame counts) when the caller has it, saving a second ffprobe.

    With ``limits`` (an import) ``source`` must be a move clip within them (MediaRejectedError
    otherwise) and is read no further than ``limits.max_move_s``."""
    formats = MOVE_DEMUXERS if limits is not None else MEDIA_DEMUXERS
    if info is None:
        info = await probe(source, builder, stage="importing", formats=formats)
    if limits is not None:
        check_clip(info, limits, source.name)
    if info.video is None:
        raise MediaError(f"{source.name!r} has no video stream", stage="importing")
    if info.is_canonical_clip(fmt):
        return PreparedMedia(source, info, transcoded=False)
    target = work_dir / f"{source.stem}.canonical.mp4"
    longest = limits.max_move_s if limits is not None else None
    await _transcode(
        builder.normalize_clip(source, target, fmt, formats=formats, max_seconds=longest), source
    )
    return PreparedMedia(target, await probe(target, builder, stage="importing"), transcoded=True)


async def prepare_song(
    source: Path,
    work_dir: Path,
    fmt: AudioFormat,
    builder: FFmpegCommandBuilder,
    *,
    limits: InputLimits | None = None,
) -> PreparedMedia:
    """An AAC/M4A version of ``source`` at ``fmt``'s loudness (the file itself when it already is
    one), in two passes (assembly.loudness); silence is transcoded without a gain change.

    With ``limits`` (an import) ``source`` must be a song within them (MediaRejectedError
    otherwise, from the probe) and is read no further than ``limits.max_song_s``."""
    formats = SONG_DEMUXERS if limits is not None else MEDIA_DEMUXERS
    info = await probe(source, builder, count_frames=False, stage="importing", formats=formats)
    if limits is not None:
        check_song(info, limits, source.name)
    if info.audio is None:
        raise MediaError(f"{source.name!r} has no audio stream", stage="importing")
    bounds = {
        "formats": formats,
        "max_seconds": limits.max_song_s if limits is not None else None,
    }
    measured = await measure_loudness(source, builder, **bounds)
    if info.is_canonical_song(fmt) and on_target(measured, fmt, LOUDNESS_TOLERANCE_LU):
        kept = LoudnessResult(measured.integrated, measured.integrated, measured.true_peak, "none")
        return PreparedMedia(source, info, transcoded=False, loudness=kept)
    target = work_dir / f"{source.stem}.canonical.m4a"
    loudness: LoudnessResult | None = None
    if measured.silent:
        await _transcode(builder.normalize_audio(source, target, fmt, **bounds), source)
    elif (gain := linear_gain(measured, fmt)) is not None:
        await _transcode(
            builder.normalize_audio(source, target, fmt, gain_db=gain, **bounds), source
        )
        loudness = LoudnessResult(
            measured.integrated, measured.integrated + gain, measured.true_peak + gain, "gain"
        )
    else:
        result = await _transcode(
            builder.normalize_audio(source, target, fmt, measured=measured, **bounds), source
        )
        output_lufs, output_peak = parse_loudnorm_output(result.stderr_tail)
        loudness = LoudnessResult(measured.integrated, output_lufs, output_peak, "loudnorm")
    info = await probe(target, builder, count_frames=False, stage="importing")
    return PreparedMedia(target, info, transcoded=True, loudness=loudness)


async def measure_loudness(
    source: Path,
    builder: FFmpegCommandBuilder,
    *,
    formats: str = MEDIA_DEMUXERS,
    max_seconds: float | None = None,
) -> LoudnessMeasurement:
    """Loudness pass one (MediaError if ``source`` cannot be decoded)."""
    result = await _transcode(
        builder.measure_loudness(source, formats=formats, max_seconds=max_seconds), source
    )
    return parse_ebur128_summary(result.stderr_tail)


LOUDNESS_TOLERANCE_LU = 0.5
"""A canonical song this close to the target is kept as it is (no second encode)."""


async def _transcode(argv: list[str], source: Path) -> ProcessResult:
    """Run a normalization; an FFmpeg failure becomes a MediaError naming the file."""
    try:
        return await run_process(argv, stage="importing")
    except FFmpegError as exc:
        raise MediaError(
            f"cannot transcode {source.name!r}", stage="importing", details=exc.stderr_tail
        ) from exc
