"""FFmpegCommandBuilder: pure functions from plans and paths to argv lists. No I/O here.

Every command starts with ``-nostdin`` (FFmpeg must never wait on a terminal) and
``-progress pipe:1 -nostats`` so the runner reads machine-readable progress from stdout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from assembly.formats import AudioFormat, VideoFormat


@dataclass(frozen=True)
class Segment:
    """One clip played from its start for a whole number of frames."""

    path: Path
    frames: int


def escape_concat_path(path: Path | str) -> str:
    """Quote a path for the concat demuxer's ``file`` directive (single quotes, ``'\\''``)."""
    return "'" + str(path).replace("'", "'\\''") + "'"


def _seconds(microseconds: int) -> str:
    return f"{microseconds // 1_000_000}.{microseconds % 1_000_000:06d}"


def concat_list(segments: Sequence[Segment], fps: int) -> str:
    """The concat demuxer script for ``segments``, frame-exact with no drift.

    Each segment's ``duration`` is the difference of cumulative boundaries rounded to the
    microsecond, so the timeline never drifts however many joins there are. Its ``outpoint``
    lies 1 µs below the frame boundary: the demuxer drops packets whose DTS is >= outpoint, and
    an outpoint exactly on (or rounded above) the boundary would let one frame too many through,
    producing non-monotonic DTS at the join.
    """
    lines = ["ffconcat version 1.0"]
    cumulative_frames = 0
    previous_us = 0
    for segment in segments:
        if segment.frames <= 0:
            raise ValueError(f"segment {segment.path} must have a positive frame count")
        cumulative_frames += segment.frames
        boundary_us = round(Fraction(cumulative_frames * 1_000_000, fps))
        duration_us = boundary_us - previous_us
        previous_us = boundary_us
        lines.append(f"file {escape_concat_path(segment.path)}")
        lines.append(f"duration {_seconds(duration_us)}")
        lines.append(f"outpoint {_seconds(duration_us - 1)}")
    return "\n".join(lines) + "\n"


def frames_for_timeline(ends: Sequence[float], fps: int) -> list[int]:
    """Frames per segment so that each cumulative end lands on the frame nearest its planned time."""
    counts = []
    previous = 0
    for end in ends:
        boundary = round(end * fps)
        counts.append(boundary - previous)
        previous = boundary
    return counts


class FFmpegCommandBuilder:
    """Builds every FFmpeg/ffprobe command choreo runs, as argv lists."""

    def __init__(self, ffmpeg: str = "ffmpeg", ffprobe: str = "ffprobe") -> None:
        self.ffmpeg = ffmpeg
        self.ffprobe = ffprobe

    def base_args(self) -> list[str]:
        return [self.ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-progress", "pipe:1", "-y"]

    def version(self) -> list[str]:
        return [self.ffmpeg, "-nostdin", "-hide_banner", "-version"]

    def probe(self, path: Path, *, count_packets: bool = True) -> list[str]:
        return [
            self.ffprobe,
            "-v",
            "error",
            *(["-count_packets"] if count_packets else []),
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ]

    def concat_copy(self, list_path: Path, output: Path) -> list[str]:
        """Join canonical clips listed in ``list_path`` without re-encoding."""
        return [
            *self.base_args(),
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(list_path),
            "-map",
            "0:v:0",
            "-c",
            "copy",
            str(output),
        ]

    def add_audio(
        self,
        video: Path,
        audio: Path,
        output: Path,
        *,
        duration: float,
        copy_audio: bool = True,
        audio_codec: str = "aac",
        audio_bitrate: str = "128k",
    ) -> list[str]:
        """Lay the song under the video, cut to ``duration``; +faststart so playback starts early."""
        audio_args = (
            ["-c:a", "copy"] if copy_audio else ["-c:a", audio_codec, "-b:a", audio_bitrate]
        )
        return [
            *self.base_args(),
            "-i",
            str(video),
            "-i",
            str(audio),
            "-map",
            "0:v:0",
            "-map",
            "1:a:0",
            "-c:v",
            "copy",
            *audio_args,
            "-t",
            f"{duration:.6f}",
            "-movflags",
            "+faststart",
            str(output),
        ]

    def normalize_clip(self, source: Path, output: Path, fmt: VideoFormat) -> list[str]:
        """Transcode a clip once into the library's canonical format (video only, no B-frames)."""
        w, h = fmt.width, fmt.height
        vf = (
            f"scale={w}:{h}:force_original_aspect_ratio=decrease,"
            f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={fmt.fps},format={fmt.pix_fmt}"
        )
        return [
            *self.base_args(),
            "-i",
            str(source),
            "-map",
            "0:v:0",
            "-an",
            "-sn",
            "-dn",
            "-map_metadata",
            "-1",
            "-vf",
            vf,
            *self.canonical_video_codec_args(fmt),
            str(output),
        ]

    def canonical_video_codec_args(self, fmt: VideoFormat) -> list[str]:
        """Encoder settings shared by every canonical clip; ``stitchable`` keeps headers identical."""
        return [
            "-c:v",
            "libx264",
            "-preset",
            fmt.preset,
            "-crf",
            str(fmt.crf),
            "-profile:v",
            fmt.profile,
            "-level:v",
            fmt.level,
            "-pix_fmt",
            fmt.pix_fmt,
            "-bf",
            "0",
            "-g",
            str(fmt.gop),
            "-x264-params",
            "stitchable=1",
            "-video_track_timescale",
            str(fmt.timescale),
            "-movflags",
            "+faststart",
        ]

    def normalize_audio(self, source: Path, output: Path, fmt: AudioFormat) -> list[str]:
        """Transcode a song once to AAC in an M4A container."""
        return [
            *self.base_args(),
            "-i",
            str(source),
            "-map",
            "0:a:0",
            "-vn",
            "-sn",
            "-dn",
            "-map_metadata",
            "-1",
            "-c:a",
            fmt.codec,
            "-b:a",
            fmt.bitrate,
            "-ar",
            str(fmt.sample_rate),
            "-ac",
            str(fmt.channels),
            "-movflags",
            "+faststart",
            str(output),
        ]

    def decode_audio_pcm(self, source: Path, output: Path, sample_rate: int) -> list[str]:
        """Decode the first audio stream to raw mono float32 PCM, for tempo and energy analysis."""
        return [
            *self.base_args(),
            "-i",
            str(source),
            "-map",
            "0:a:0",
            "-vn",
            "-sn",
            "-dn",
            "-ac",
            "1",
            "-ar",
            str(sample_rate),
            "-f",
            "f32le",
            "-c:a",
            "pcm_f32le",
            str(output),
        ]
