"""Import-time normalization: bring a clip or song into the canonical format, once.

Files that already match (a song: also at the target loudness) are left untouched, so
re-importing never re-encodes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from assembly.commands import FFmpegCommandBuilder
from assembly.elementary import parse_packet_index
from assembly.errors import FFmpegError, MediaError
from assembly.formats import AudioFormat, VideoFormat
from assembly.loudness import LoudnessReport, parse_loudnorm_report
from assembly.probe import MediaInfo, probe
from assembly.runner import ProcessResult, run_process


@dataclass(frozen=True)
class PreparedMedia:
    path: Path
    info: MediaInfo
    transcoded: bool
    loudness: LoudnessReport | None = None
    """Songs: the source as measured and the stored result (None for silence)."""


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
    """An AAC/M4A version of ``source`` at ``fmt``'s loudness (the file itself when it already is
    one), normalized in two loudnorm passes; silence is transcoded without a gain change."""
    info = await probe(source, builder, count_frames=False, stage="importing")
    if info.audio is None:
        raise MediaError(f"{source.name!r} has no audio stream", stage="importing")
    measured = await measure_loudness(source, fmt, builder)
    gain_from = None if measured.silent else measured
    if gain_from is not None and info.is_canonical_song(fmt) and _on_target(measured, fmt):
        return PreparedMedia(source, info, transcoded=False, loudness=_as_is(measured))
    target = work_dir / f"{source.stem}.canonical.m4a"
    result = await _transcode(
        builder.normalize_audio(source, target, fmt, measured=gain_from), source
    )
    loudness = None if gain_from is None else parse_loudnorm_report(result.stderr_tail)
    info = await probe(target, builder, count_frames=False, stage="importing")
    return PreparedMedia(target, info, transcoded=True, loudness=loudness)


async def measure_loudness(
    source: Path, fmt: AudioFormat, builder: FFmpegCommandBuilder
) -> LoudnessReport:
    """Loudness pass one: loudnorm's report on ``source`` (MediaError if it cannot be decoded)."""
    result = await _transcode(builder.measure_loudness(source, fmt), source)
    return parse_loudnorm_report(result.stderr_tail)


LOUDNESS_TOLERANCE_LU = 0.5


def _on_target(measured: LoudnessReport, fmt: AudioFormat) -> bool:
    """Already within half a LU of the target, its true peak under the ceiling: leave it be."""
    return (
        abs(measured.input_i - fmt.loudness_lufs) <= LOUDNESS_TOLERANCE_LU
        and measured.input_tp <= fmt.true_peak_dbtp
    )


def _as_is(measured: LoudnessReport) -> LoudnessReport:
    """The report of a file kept unchanged: its output is its input."""
    return replace(
        measured,
        output_i=measured.input_i,
        output_tp=measured.input_tp,
        output_lra=measured.input_lra,
        output_thresh=measured.input_thresh,
        normalization_type="none",
        target_offset=0.0,
    )


async def _transcode(argv: list[str], source: Path) -> ProcessResult:
    """Run a normalization; an FFmpeg failure becomes a MediaError naming the file."""
    try:
        return await run_process(argv, stage="importing")
    except FFmpegError as exc:
        raise MediaError(
            f"cannot transcode {source.name!r}", stage="importing", details=exc.stderr_tail
        ) from exc
