"""Phone footage as it comes: what it is (probe), what it holds (sound, posters) and its cut.

A move filmed on a phone is MOV or MP4 (H.264 or HEVC), portrait or landscape, often with
rotation metadata (a display matrix: ffprobe's ``side_data_list[].rotation``) and a variable
frame rate. Every command here opens it the same careful way (``phone_input``): the library's
one input guard (assembly.limits: the file protocol only, its demuxer allow-list, the decode
pixel cap) with the MOV/MP4 demuxer forced, so a playlist or a concat list renamed ``.mov`` is
refused instead of followed to other files. The limits are the library's too (``InputLimits``:
CHOREO_MAX_MOVE_S, each side 240-4096 px, at most 120 fps); what is the phone's own here is
the rotation, the variable frame rate, the codecs phones record and the shortest phone clip. The argv builders are pure; the few async
functions run them through the one process runner and turn FFmpeg's failures into a
``PhoneInputError`` whose message is a sentence for the person who uploaded the file.

Portrait footage goes into the library's 16:9 frame with black bars at its sides (the
library's ``fit_filter``, as for every imported clip): a blurred copy of the picture behind it
would cost a second full-frame scale and blur per frame on a 2-core machine, and every other
clip of the library has black bars too. FFmpeg rotates on decode, so the bars are where the
phone was held.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from assembly.commands import FFmpegCommandBuilder, fit_filter
from assembly.errors import FFmpegError, MediaRejectedError
from assembly.formats import VideoFormat
from assembly.limits import MOVE_DEMUXERS, InputLimits
from assembly.runner import run_process

PHONE_DEMUXER = "mov"
"""FFmpeg's demuxer for MOV, MP4, M4V and 3GP: the only one phone footage is opened with."""
PHONE_MIN_SECONDS = 5.0
"""Shortest phone clip taken: one 8-count and a little before it (above CHOREO's 1 s)."""
PHONE_CODECS = ("h264", "hevc")
"""Video codecs phones record and the library accepts."""
STILL_CODECS = frozenset({"mjpeg", "png", "gif", "webp", "bmp", "tiff", "jpeg2000"})
"""Codecs of pictures: a file whose only video is one of these is a still image."""
POSTER_HEIGHT = 160
PREVIEW_HEIGHT = 360
PREVIEW_FPS = 30


class PhoneInputError(MediaRejectedError):
    """Raised when an upload is not a phone video the library can take; the message is a
    sentence for the person who uploaded it (not a video, a still image, a playlist, too long,
    too short, unreadable, no tempo). A MediaRejectedError: HTTP 422."""

    default_stage = "probing"


class PhoneFacts(BaseModel):
    """What the probe says about a phone clip, as it is displayed (rotation applied)."""

    model_config = ConfigDict(frozen=True)

    format_name: str
    duration: float
    codec: str
    width: int
    """As displayed: after the rotation."""
    height: int
    coded_width: int
    coded_height: int
    rotation: int
    """Degrees of the display matrix (0, 90, -90, 180); 0 when there is none."""
    fps: float
    """The average frame rate."""
    vfr: bool
    """True when frames are not evenly spaced (the average rate is not the stream's base rate)."""
    has_audio: bool

    @property
    def portrait(self) -> bool:
        return self.height > self.width


def phone_input(builder: FFmpegCommandBuilder) -> list[str]:
    """Input options for an uploaded file: the library's input guard, the MOV/MP4 demuxer."""
    return [*builder.input_guard(MOVE_DEMUXERS), "-f", PHONE_DEMUXER]


def sniff(head: bytes) -> str | None:
    """What the first bytes of a file say it is when it is not a video: "playlist" or
    "still image"; None otherwise (the demuxer then decides)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"#EXTM3U", b"#EXT-X", b"ffconcat", b"[playlist]", b"<?xml")):
        return "playlist"
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")):
        return "still image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "still image"
    if head[4:8] == b"ftyp" and head[8:12] in {
        b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis",
    }:  # fmt: skip
        return "still image"
    return None


def probe_argv(builder: FFmpegCommandBuilder, path: Path) -> list[str]:
    """ffprobe of an upload's container and streams (headers only: no packet is counted)."""
    return [
        builder.ffprobe, "-v", "error", *phone_input(builder),
        "-print_format", "json", "-show_format", "-show_streams", str(path),
    ]  # fmt: skip


def decode_audio_argv(
    builder: FFmpegCommandBuilder, path: Path, output: Path, sample_rate: int
) -> list[str]:
    """The first audio stream as mono float32 PCM; the video is not decoded."""
    return [
        *builder.base_args(), *phone_input(builder), "-i", str(path),
        "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(sample_rate),
        "-f", "f32le", "-c:a", "pcm_f32le", str(output),
    ]  # fmt: skip


def posters_argv(
    builder: FFmpegCommandBuilder,
    path: Path,
    posters: Sequence[tuple[Path, float]],
    *,
    height: int = POSTER_HEIGHT,
) -> list[str]:
    """Small JPEGs of the frames at the given seconds, in one FFmpeg run.

    The file is opened once per poster with ``-ss`` before ``-i``: each input jumps to the
    keyframe before its time and decodes only from there, so a poster costs at most a group of
    pictures, never the whole clip. Each frame is scaled down to ``height`` (rotation applied).
    """
    argv = builder.base_args()
    for _, seconds in posters:
        argv += [*phone_input(builder), "-ss", f"{seconds:.3f}", "-i", str(path)]
    for index, (output, _) in enumerate(posters):
        argv += [
            "-map", f"{index}:v:0", "-frames:v", "1", "-vf", f"scale=-2:{height}",
            "-q:v", "5", "-f", "image2", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p",
            "-update", "1", str(output),
        ]  # fmt: skip
    return argv


def click_expr(bpm: float) -> str:
    """An aevalsrc expression: a click on every beat from 0 s, count 1 of each 8-count higher
    and louder."""
    beat = 60.0 / bpm
    phase = f"mod(t,{beat:.6f})"
    count = f"mod(floor(t/{beat:.6f}+0.0001),8)"
    tone = f"if(eq({count},0),0.9*sin(2*PI*1760*t),0.5*sin(2*PI*880*t))"
    return f"{tone}*exp(-50*{phase})"


def preview_argv(
    builder: FFmpegCommandBuilder,
    path: Path,
    output: Path,
    *,
    start: float,
    seconds: float,
    bpm: float,
    with_sound: bool,
    height: int = PREVIEW_HEIGHT,
) -> list[str]:
    """A small, quickly made MP4 of the cut with a click track on its beats (count 1 higher),
    over the clip's own sound when it has one. The cut starts on a beat, so the clicks start
    at 0 s."""
    clicks = f"aevalsrc=exprs='{click_expr(bpm)}':s=44100:d={seconds:.6f}"
    video = f"[0:v]scale=-2:{height},fps={PREVIEW_FPS},format=yuv420p[v]"
    if with_sound:
        audio = (
            "[0:a]aformat=sample_rates=44100:channel_layouts=mono,volume=0.6[own];"
            "[1:a][own]amix=inputs=2:duration=first:normalize=0[a]"
        )
    else:
        audio = "[1:a]anull[a]"
    return [
        *builder.base_args(),
        *phone_input(builder), "-ss", f"{start:.6f}", "-t", f"{seconds:.6f}", "-i", str(path),
        "-f", "lavfi", "-i", clicks,
        "-filter_complex", f"{video};{audio}", "-map", "[v]", "-map", "[a]",
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "64k", "-t", f"{seconds:.6f}",
        "-movflags", "+faststart", str(output),
    ]  # fmt: skip


def cut_argv(
    builder: FFmpegCommandBuilder,
    path: Path,
    output: Path,
    fmt: VideoFormat,
    *,
    start: float,
    frames: int,
) -> list[str]:
    """The cut, ``frames`` frames from ``start``, as a canonical clip of ``fmt``.

    The library's own chain (``fit_filter``: fit, black bars, square pixels, its constant
    rate, which also evens out a variable frame rate), then the last frame cloned in case the
    source ends a frame early, and ``-frames:v`` cuts at the exact count. Video only, as every
    canonical clip: the song is the only sound of a choreography.
    """
    vf = f"{fit_filter(fmt)},tpad=stop_mode=clone:stop={fmt.fps}"
    return [
        *builder.base_args(),
        *phone_input(builder), "-ss", f"{start:.6f}", "-i", str(path),
        "-map", "0:v:0", "-an", "-sn", "-dn", "-map_metadata", "-1",
        "-vf", vf, "-frames:v", str(frames),
        *builder.canonical_video_codec_args(fmt),
        str(output),
    ]  # fmt: skip


def _rate(text: str | None) -> Fraction:
    try:
        value = Fraction(text or "0/1")
    except (ValueError, ZeroDivisionError):
        return Fraction(0)
    return value if value > 0 else Fraction(0)


def _rotation(stream: dict) -> int:
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            try:
                return round(float(side["rotation"]))
            except (TypeError, ValueError):
                return 0
    try:
        return int((stream.get("tags") or {}).get("rotate", 0))
    except (TypeError, ValueError):
        return 0


def parse_phone_probe(raw: str, name: str) -> PhoneFacts:
    """PhoneFacts from ffprobe's JSON; PhoneInputError when there is no moving picture."""
    data = json.loads(raw or "{}")
    streams = data.get("streams") or []
    pictures = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    has_audio = any(s.get("codec_type") == "audio" for s in streams)
    if not pictures:
        if any(s.get("codec_type") == "video" for s in streams):
            raise PhoneInputError(f"{name} is a still image, not a video: upload the video.")
        raise PhoneInputError(
            f"{name} has no picture"
            + (" (only sound)" if has_audio else "")
            + ": upload the video of the move, as the phone recorded it."
        )
    video = pictures[0]
    codec = str(video.get("codec_name", ""))
    if codec in STILL_CODECS:
        raise PhoneInputError(f"{name} is a still image, not a video: upload the video.")
    fmt = data.get("format") or {}
    duration = float(fmt.get("duration") or video.get("duration") or 0.0)
    average, base = _rate(video.get("avg_frame_rate")), _rate(video.get("r_frame_rate"))
    fps = average or base
    rotation = _rotation(video)
    coded_w, coded_h = int(video.get("width") or 0), int(video.get("height") or 0)
    turned = abs(rotation) % 180 == 90
    return PhoneFacts(
        format_name=str(fmt.get("format_name", "")),
        duration=round(duration, 6),
        codec=codec,
        width=coded_h if turned else coded_w,
        height=coded_w if turned else coded_h,
        coded_width=coded_w,
        coded_height=coded_h,
        rotation=rotation,
        fps=round(float(fps), 4),
        vfr=bool(average and base and abs(float(average / base) - 1) > 0.01),
        has_audio=has_audio,
    )


def check_limits(facts: PhoneFacts, limits: InputLimits, name: str) -> None:
    """PhoneInputError, with a sentence, when the clip is not one the library takes: the
    library's limits (as displayed, so portrait and landscape alike) and the phone's codecs
    and shortest clip."""
    if facts.codec not in PHONE_CODECS:
        raise PhoneInputError(
            f"{name} is encoded as {facts.codec or 'an unknown codec'}: upload H.264 or HEVC "
            "video, as phones record it."
        )
    if not facts.fps or facts.fps > limits.max_fps:
        raise PhoneInputError(
            f"{name} runs at {facts.fps:g} frames per second: a move must be filmed at "
            f"{limits.max_fps:g} frames per second or fewer."
        )
    short, long = sorted((facts.width, facts.height))
    if short < limits.min_side or long > limits.max_side:
        raise PhoneInputError(
            f"{name} is {facts.width}x{facts.height} pixels: each side of a move's frame must "
            f"be {limits.min_side} to {limits.max_side} pixels."
        )
    if facts.duration > limits.max_move_s:
        raise PhoneInputError(
            f"{name} lasts {facts.duration:.1f} s: a move may last at most "
            f"{limits.max_move_s:g} s, so trim it on the phone first."
        )
    shortest = max(limits.min_move_s, PHONE_MIN_SECONDS)
    if facts.duration < shortest:
        raise PhoneInputError(
            f"{name} lasts {facts.duration:.1f} s: a move must last at least "
            f"{shortest:g} s (one 8-count and a little before it)."
        )


async def probe_phone_clip(
    path: Path, builder: FFmpegCommandBuilder, *, name: str, limits: InputLimits
) -> PhoneFacts:
    """Facts about an uploaded clip, refused with a sentence when it is not a usable video."""
    head = await _head(path)
    if not head:
        raise PhoneInputError(f"{name} is empty: upload the video file itself.")
    kind = sniff(head)
    if kind == "playlist":
        raise PhoneInputError(f"{name} is a playlist, not a video: upload the video file itself.")
    if kind == "still image":
        raise PhoneInputError(f"{name} is a still image, not a video: upload the video.")
    try:
        result = await run_process(probe_argv(builder, path), stage="probing", timeout=30)
    except FFmpegError as exc:
        raise PhoneInputError(
            f"{name} is not a video that can be read: upload an MP4 or MOV file as the phone "
            "recorded it.",
            details=exc.stderr_tail,
        ) from exc
    facts = parse_phone_probe(result.stdout, name)
    check_limits(facts, limits, name)
    return facts


async def _head(path: Path, size: int = 64) -> bytes:
    def read() -> bytes:
        with open(path, "rb") as handle:
            return handle.read(size)

    return await asyncio.to_thread(read)


async def take_posters(
    path: Path,
    builder: FFmpegCommandBuilder,
    work: Path,
    facts: PhoneFacts,
    *,
    count: int,
    name: str,
) -> list[tuple[Path, float]]:
    """``count`` posters evenly over the clip (at the middle of each of ``count`` spans)."""
    span = facts.duration / count
    posters = [
        (work / f"poster-{i:02d}.jpg", round(min(facts.duration - 0.05, (i + 0.5) * span), 3))
        for i in range(count)
    ]
    await _run(posters_argv(builder, path, posters), name=name, stage="posters")
    missing = [p for p, _ in posters if not p.exists() or p.stat().st_size == 0]
    if missing:
        raise PhoneInputError(
            f"{name} could not be read to the end: the file may be damaged or incomplete."
        )
    return posters


async def decode_sound(
    path: Path, builder: FFmpegCommandBuilder, output: Path, *, sample_rate: int, name: str
) -> Path:
    """The clip's sound as mono float32 PCM in ``output`` (only the audio is decoded)."""
    await _run(decode_audio_argv(builder, path, output, sample_rate), name=name, stage="analysing")
    return output


async def make_preview(
    path: Path,
    builder: FFmpegCommandBuilder,
    output: Path,
    *,
    start: float,
    seconds: float,
    bpm: float,
    with_sound: bool,
    name: str,
) -> Path:
    await _run(
        preview_argv(
            builder, path, output, start=start, seconds=seconds, bpm=bpm, with_sound=with_sound
        ),
        name=name,
        stage="previewing",
    )
    return output


async def cut_clip(
    path: Path,
    builder: FFmpegCommandBuilder,
    output: Path,
    fmt: VideoFormat,
    *,
    start: float,
    frames: int,
    name: str,
) -> Path:
    await _run(
        cut_argv(builder, path, output, fmt, start=start, frames=frames),
        name=name,
        stage="normalizing",
    )
    return output


def cut_frames(counts: int, bpm: float, fps: int) -> int:
    """Frames of ``counts`` 8-counts at ``bpm`` at the library's rate."""
    return max(1, round(counts * 8 * 60.0 / bpm * fps))


def whole_counts(seconds: float, bpm: float) -> int:
    """Whole 8-counts that fit in ``seconds`` at ``bpm`` (a millisecond of slack)."""
    return max(0, math.floor((seconds + 0.001) / (8 * 60.0 / bpm)))


async def _run(argv: list[str], *, name: str, stage: str) -> None:
    try:
        await run_process(argv, stage=stage)
    except FFmpegError as exc:
        raise PhoneInputError(
            f"{name} could not be read: the file may be damaged or incomplete.",
            stage=stage,
            details=exc.stderr_tail,
        ) from exc
