"""What ffprobe says about a file, reduced to the facts the assembly decides on."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from assembly.commands import FFmpegCommandBuilder
from assembly.errors import FFmpegError, MediaError
from assembly.formats import AudioFormat, VideoFormat
from assembly.limits import MEDIA_DEMUXERS, not_allowed_container, oversized_picture
from assembly.runner import run_process


class VideoStreamInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    codec: str
    profile: str = ""
    width: int
    height: int
    fps: Fraction
    pix_fmt: str
    has_b_frames: int
    frames: int
    time_base: str


class AudioStreamInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    codec: str
    sample_rate: int
    channels: int


class MediaInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    format_name: str
    duration: float
    video: VideoStreamInfo | None = None
    audio: AudioStreamInfo | None = None

    def is_canonical_clip(self, fmt: VideoFormat) -> bool:
        """True when the clip joins others of ``fmt`` by stream copy without artefacts."""
        v = self.video
        return (
            v is not None
            and self.audio is None
            and "mp4" in self.format_name
            and v.codec == "h264"
            and v.profile.lower() == fmt.profile
            and (v.width, v.height) == (fmt.width, fmt.height)
            and v.fps == fmt.fps
            and v.pix_fmt == fmt.pix_fmt
            and v.has_b_frames == 0
            and v.time_base == f"1/{fmt.timescale}"
        )

    def is_canonical_song(self, fmt: AudioFormat) -> bool:
        return (
            self.audio is not None
            and self.video is None
            and self.audio.codec == fmt.codec
            and ("mp4" in self.format_name or "m4a" in self.format_name)
        )


def parse_probe(raw: str) -> MediaInfo:
    """Build MediaInfo from ffprobe's JSON (-show_format -show_streams -count_packets)."""
    data = json.loads(raw)
    fmt = data.get("format", {})
    video = audio = None
    for stream in data.get("streams", []):
        kind = stream.get("codec_type")
        if (
            kind == "video"
            and video is None
            and not stream.get("disposition", {}).get("attached_pic")
        ):
            rate = stream.get("avg_frame_rate") or stream.get("r_frame_rate") or "0/1"
            if rate in ("0/0", "0/1"):
                rate = stream.get("r_frame_rate", "0/1")
            video = VideoStreamInfo(
                codec=stream.get("codec_name", ""),
                profile=stream.get("profile", ""),
                width=int(stream.get("width", 0)),
                height=int(stream.get("height", 0)),
                fps=Fraction(rate) if rate != "0/0" else Fraction(0),
                pix_fmt=stream.get("pix_fmt", ""),
                has_b_frames=int(stream.get("has_b_frames", 0)),
                frames=int(stream.get("nb_read_packets") or stream.get("nb_frames") or 0),
                time_base=stream.get("time_base", ""),
            )
        elif kind == "audio" and audio is None:
            audio = AudioStreamInfo(
                codec=stream.get("codec_name", ""),
                sample_rate=int(stream.get("sample_rate", 0)),
                channels=int(stream.get("channels", 0)),
            )
    duration = float(fmt.get("duration") or 0.0)
    return MediaInfo(
        format_name=fmt.get("format_name", ""), duration=duration, video=video, audio=audio
    )


async def probe(
    path: Path,
    builder: FFmpegCommandBuilder,
    *,
    count_frames: bool = True,
    stage: str = "probing",
    timeout: float = 60,
    formats: str = MEDIA_DEMUXERS,
) -> MediaInfo:
    """Probe ``path`` as one of the containers ``formats`` (a demuxer allow-list, see
    assembly.limits); MediaError (naming the file) if it is another kind of file or FFmpeg
    cannot read it, MediaRejectedError if it declares too large a picture."""
    name = Path(path).name
    try:
        result = await run_process(
            builder.probe(path, count_packets=count_frames, formats=formats),
            stage=stage,
            timeout=timeout,
        )
    except FFmpegError as exc:
        if refused := not_allowed_container(exc.stderr_tail, name, formats):
            refused.stage = stage
            raise refused from exc
        raise MediaError(
            f"cannot read media file {name!r}", stage=stage, details=exc.stderr_tail
        ) from exc
    if refused := oversized_picture(result.stderr_tail, name):
        refused.stage = stage
        raise refused
    info = parse_probe(result.stdout)
    if info.video is None and info.audio is None:
        raise MediaError(f"no audio or video stream in {Path(path).name!r}", stage=stage)
    return info
