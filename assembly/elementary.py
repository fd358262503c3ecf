"""Joining canonical clips as H.264 elementary streams, by byte ranges.

Every canonical clip is also kept as an Annex B elementary stream with an index of where each
frame starts. With no B-frames, the first k frames of a clip are exactly the bytes
``[0, offsets[k])``, so a frame-exact join is a concatenation of byte ranges: the kernel copies
them (``copy_file_range``) and FFmpeg only wraps the result in MP4 with the song. No demuxer
probes each segment, and no timestamp arithmetic can emit a frame twice at a join.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

COPY_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ByteRange:
    path: Path
    start: int
    end: int


def parse_framecrc(text: str) -> tuple[int, ...]:
    """Frame start offsets plus the end of the last frame, from the ``framecrc`` listing of the
    packets an elementary stream was written from (one per frame, written back to back).

    Lines such as ``0,          0,          0,      512,     4407, 0x8a1d2d8e`` (stream, dts,
    pts, duration, size, checksum); ``#`` lines are the header.
    """
    offsets = [0]
    for line in text.splitlines():
        if line and not line.startswith("#"):
            offsets.append(offsets[-1] + int(line.split(",")[4]))
    return tuple(offsets) if len(offsets) > 1 else ()


def ranges_for(
    path: Path, offsets: Sequence[int], frames: int, limit: int | None = None, first: int = 0
) -> list[ByteRange]:
    """Byte ranges playing ``frames`` frames of a clip from frame ``first``, looping if needed.

    ``first`` must be a keyframe (``is_keyframe``); ``limit`` (a trim end) cuts the clip after
    that many frames. Frames ``[first, limit)`` are then the part that plays and loops.
    """
    end = len(offsets) - 1 if limit is None else min(limit, len(offsets) - 1)
    available = end - first
    if available <= 0:
        raise ValueError(f"{path} has no frames between frame {first} and frame {end}")
    ranges = []
    while frames > 0:
        take = min(frames, available)
        ranges.append(ByteRange(path, offsets[first], offsets[first + take]))
        frames -= take
    return ranges


IDR_SLICE = 5
NON_IDR_SLICE = 1
KEYFRAME_PEEK = 16 * 1024
"""Bytes read at a frame's start to find its first slice (after parameter sets and SEI)."""


def is_keyframe(frame_start: bytes) -> bool:
    """Whether an Annex B frame (its first bytes) is an IDR picture: a copy may start there.

    The first slice NAL unit decides (type 5 IDR, type 1 not); parameter sets and SEI before it
    are skipped.
    """
    position = 0
    while (found := frame_start.find(b"\x00\x00\x01", position)) >= 0:
        position = found + 3
        if position >= len(frame_start):
            break
        nal_type = frame_start[position] & 0x1F
        if nal_type == IDR_SLICE:
            return True
        if nal_type == NON_IDR_SLICE:
            return False
    return False


def keyframe_near(path: Path, offsets: Sequence[int], frame: int, end: int) -> int:
    """The keyframe nearest ``frame`` among frames ``[0, end)`` (blocking: run it in a thread).

    Ties go to the later one. Frame 0 of a stream is always a keyframe, so there is one.
    """
    if frame <= 0:
        return 0
    with open(path, "rb") as stream:

        def key(index: int) -> bool:
            stream.seek(offsets[index])
            return is_keyframe(stream.read(min(KEYFRAME_PEEK, offsets[index + 1] - offsets[index])))

        before = next((i for i in range(min(frame, end - 1), 0, -1) if key(i)), 0)
        if before == frame:
            return frame
        after = next(
            (i for i in range(frame + 1, min(end, frame + (frame - before) + 1)) if key(i)), None
        )
    return after if after is not None and after - frame <= frame - before else before


def join_ranges(ranges: Sequence[ByteRange], output: Path, stop: threading.Event) -> int:
    """Write the ranges one after another into ``output`` (blocking: run it in a thread).

    Stops early when ``stop`` is set (the request was cancelled). Returns bytes written.
    """
    written = 0
    with open(output, "wb") as sink:
        for byte_range in ranges:
            with open(byte_range.path, "rb") as source:
                offset = byte_range.start
                while offset < byte_range.end:
                    if stop.is_set():
                        return written
                    count = _copy(source, sink, offset, min(COPY_CHUNK, byte_range.end - offset))
                    if count == 0:
                        raise OSError(
                            f"{byte_range.path} ended at byte {offset}, expected {byte_range.end}"
                        )
                    offset += count
                    written += count
    return written


def _copy(source, sink, offset: int, count: int) -> int:
    try:
        return os.copy_file_range(source.fileno(), sink.fileno(), count, offset)
    except OSError:  # e.g. EXDEV on old kernels, or filesystems without support
        source.seek(offset)
        data = source.read(count)
        sink.write(data)
        return len(data)
