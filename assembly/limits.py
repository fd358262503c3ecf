"""What the library takes as input: the containers FFmpeg may open, and limits checked on the probe.

An upload is opened by FFmpeg/ffprobe only through the ``file`` protocol and only by the demuxers
listed here (commands.py puts ``-protocol_whitelist`` / ``-format_whitelist`` before its ``-i``):
a playlist (``hls``), a ``concat`` list or an image sequence named ``.mp4`` is refused before it
can read another file. The probe's facts are then checked against ``InputLimits`` before
anything is decoded: songs and moves have a longest duration, moves a frame size, a frame rate,
a codec and a shortest duration. Every refusal is a ``MediaRejectedError`` whose message is a
sentence naming the file, what it is and what the library takes; a file that is not one of the
allowed containers, or whose length cannot be told, is not readable media here (``MediaError``).

Pure: no I/O, no Django; the Django app builds ``InputLimits`` from its settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from assembly.errors import MediaError, MediaRejectedError

if TYPE_CHECKING:
    from assembly.probe import MediaInfo

MOVE_DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi"
"""Containers a move clip may come in: MP4/MOV (phones), Matroska/WebM, AVI."""
SONG_DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,mp3,aac,wav,flac,ogg"
"""Containers a song may come in: M4A/MP4, MP3, raw AAC, WAV, FLAC, Ogg, Matroska/WebM."""
MEDIA_DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mp3,aac,wav,flac,ogg"
"""Either (the default of every command that opens a file from outside)."""
ALLOWED_PROTOCOLS = "file"
"""Local files only: no network, no ``data:``, no nested ``concat:`` / ``subfile:`` tricks."""

MAX_SIDE_PX = 4096
MAX_DECODE_PIXELS = MAX_SIDE_PX * MAX_SIDE_PX
"""Decoders refuse a picture larger than this (``-max_pixels``), the probe's included: a small
file declaring a huge picture costs no memory."""

MOVE_VIDEO_CODECS = frozenset(
    {"h264", "hevc", "mpeg4", "mpeg2video", "vp8", "vp9", "av1", "prores", "mjpeg"}
)
"""Video codecs of camera footage; still-picture codecs (png, gif, webp, bmp...) are refused."""

CONTAINER_NAMES = {
    MOVE_DEMUXERS: "MP4/MOV, Matroska/WebM or AVI video",
    SONG_DEMUXERS: "M4A/MP4, MP3, AAC, WAV, FLAC, Ogg or Matroska/WebM audio",
    MEDIA_DEMUXERS: "MP4/MOV, Matroska/WebM, AVI, MP3, AAC, WAV, FLAC or Ogg",
}
"""How each allow-list is named in a refusal."""


class InputLimits(BaseModel):
    """The limits an imported file is checked against (built from the settings by the app)."""

    model_config = ConfigDict(frozen=True)

    max_song_s: float = Field(900.0, gt=0)
    max_move_s: float = Field(120.0, gt=0)
    min_move_s: float = Field(1.0, ge=0)
    min_side: int = Field(240, ge=1)
    max_side: int = Field(MAX_SIDE_PX, ge=1, le=MAX_SIDE_PX)
    max_fps: float = Field(120.0, gt=0)


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 60 else f"{value:.0f} s ({value / 60:.0f} min)"


def check_clip(info: MediaInfo, limits: InputLimits, name: str) -> None:
    """MediaRejectedError unless ``info`` (a probe with frame counts) is a usable move clip:
    moving video of an accepted codec, ``min_move_s``-``max_move_s`` long, each side of the
    frame ``min_side``-``max_side`` pixels (portrait or landscape alike), at most ``max_fps``."""
    video = info.video
    if video is None:
        raise MediaRejectedError(f"{name!r} has no video stream: a move must be a video clip")
    if video.codec not in MOVE_VIDEO_CODECS:
        raise MediaRejectedError(
            f"{name!r} is a {video.codec or 'unknown'} picture, not a video: a move must be "
            "video footage (H.264, HEVC, VP9, AV1...)"
        )
    width, height = video.width, video.height
    if not (limits.min_side <= min(width, height) and max(width, height) <= limits.max_side):
        raise MediaRejectedError(
            f"{name!r} has a frame of {width}x{height} pixels: each side must be "
            f"{limits.min_side} to {limits.max_side} pixels"
        )
    if video.frames < 2 or not 0 < video.fps <= limits.max_fps:
        raise MediaRejectedError(
            f"{name!r} is not moving video ({video.frames} frame(s) at {float(video.fps):g} fps): "
            f"a move needs a frame rate up to {limits.max_fps:g} fps"
        )
    if not limits.min_move_s <= info.duration <= limits.max_move_s:
        raise MediaRejectedError(
            f"{name!r} lasts {_seconds(info.duration)}: a move must last "
            f"{limits.min_move_s:g} to {limits.max_move_s:g} s (CHOREO_MAX_MOVE_S)"
        )


def check_song(info: MediaInfo, limits: InputLimits, name: str) -> None:
    """MediaRejectedError unless ``info`` has an audio stream and a known duration of at most
    ``max_song_s``."""
    if info.audio is None:
        raise MediaRejectedError(f"{name!r} has no audio stream: a song must have sound")
    if info.duration <= 0:
        raise MediaError(f"cannot tell how long {name!r} lasts: it is not a readable song")
    if info.duration > limits.max_song_s:
        raise MediaRejectedError(
            f"{name!r} lasts {_seconds(info.duration)}: a song may last at most "
            f"{limits.max_song_s:g} s (CHOREO_MAX_SONG_S)"
        )


def not_allowed_container(stderr: str, name: str, formats: str) -> MediaError | None:
    """The refusal for a file FFmpeg detected as a demuxer off the allow-list ``formats``
    (``stderr``: FFmpeg's, which then reads ``[hls @ 0x...] Format not on whitelist``); None
    otherwise."""
    for line in stderr.splitlines():
        if "Format not on whitelist" in line:
            detected = line.partition("[")[2].partition(" @")[0] or "unknown"
            return MediaError(
                f"{name!r} is a {detected} file: the library takes "
                f"{CONTAINER_NAMES.get(formats, formats)} files (playlists, concat lists and "
                "pictures are refused)"
            )
    return None


def oversized_picture(stderr: str, name: str) -> MediaRejectedError | None:
    """The refusal for a picture larger than ``MAX_DECODE_PIXELS`` (FFmpeg says ``Picture size
    WxH exceeds specified max pixel count``); None otherwise."""
    for line in stderr.splitlines():
        if "exceeds specified max pixel count" in line:
            size = line.partition("Picture size ")[2].partition(" ")[0] or "too large"
            return MediaRejectedError(
                f"{name!r} has a picture of {size} pixels: each side must be at most "
                f"{MAX_SIDE_PX} pixels"
            )
    return None
