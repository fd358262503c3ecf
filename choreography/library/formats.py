"""Which canonical format a move's clip is in, and the facts a move row keeps about its clip.

The library has one frame size and rate: clips join by stream copy only when they share them.
Each move records the ``VideoFormat.label`` its clip was built with (``clip_format``); a move of
another size or rate than the configured one is left out of generations rather than joined into
a broken video (during a ``renormalize``, before the server is restarted with the new format).
"""

from __future__ import annotations

from pathlib import Path

from django.db.models import Q

from assembly import (
    ElementaryStream,
    FFmpegCommandBuilder,
    InputLimits,
    MediaInfo,
    VideoFormat,
    elementary_stream,
    gather_or_cancel,
    prepare_clip,
)
from storage import Storage


def joinable(fmt: VideoFormat) -> Q:
    """Moves whose clips join clips of ``fmt`` by stream copy.

    An empty ``clip_format`` (imported before formats were recorded) counts as the configured
    one: that is what it was built in, unless the operator has since changed the setting.
    """
    return Q(clip_format="") | Q(clip_format__startswith=f"{fmt.frame} ")


def clip_duration(info: MediaInfo) -> float:
    """A canonical clip's length: its frames at its rate (the container's figure otherwise)."""
    video = info.video
    assert video is not None, "a canonical clip has a video stream"
    return float(round(video.frames / video.fps, 6)) if video.fps else info.duration


def clip_fields(info: MediaInfo, stream: ElementaryStream, fmt: VideoFormat) -> dict:
    """A move row's facts about its canonical clip (``info``) and that clip's ``stream``."""
    return {
        "frame_offsets": list(stream.offsets),
        "duration_seconds": clip_duration(info),
        "frames": stream.frames,
        "clip_format": fmt.label,
    }


async def store_canonical_clip(
    source: Path,
    work: Path,
    fmt: VideoFormat,
    builder: FFmpegCommandBuilder,
    storage: Storage,
    keys: tuple[str, str, str],
    *,
    stage: str = "importing",
    info: MediaInfo | None = None,
    limits: InputLimits | None = None,
) -> dict:
    """Put ``source`` in ``fmt``, index its elementary stream, take its poster, store the three
    under ``keys`` (clip, stream, poster); returns the move row's fields for them. The one way
    a move's canonical media is made: at import and by ``renormalize``. ``info``: ``source``'s
    probe, when the caller has it already; ``limits``: an import's (assembly.limits), checked
    before anything is decoded."""
    clip_key, stream_key, poster_key = keys
    prepared = await prepare_clip(source, work, fmt, builder, info=info, limits=limits)
    poster = work / "poster.jpg"
    stream = await elementary_stream(
        prepared.path,
        work / "clip.h264",
        builder,
        stage=stage,
        poster=(poster, clip_duration(prepared.info) / 2),
    )
    await gather_or_cancel(
        (
            storage.upload(prepared.path, clip_key),
            storage.upload(stream.path, stream_key),
            storage.upload(poster, poster_key),
        )
    )
    return {
        "clip_key": clip_key,
        "stream_key": stream_key,
        "poster_key": poster_key,
        **clip_fields(prepared.info, stream, fmt),
    }
