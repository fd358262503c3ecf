"""Canonical clips: any source is scaled to fit the library's frame and padded black, never
stretched; the default encoder settings keep SSIM above the threshold bench/quality.py chose."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from assembly import FFmpegCommandBuilder, VideoFormat, prepare_clip
from bench.quality import SSIM_THRESHOLD, ssim
from tests.conftest import FMT
from tests.helpers import run, streams

GRAY = "0xc0c0c0"


def solid_source(path: Path, size: str, *, extra: tuple[str, ...] = (), rotate: int = 0) -> Path:
    """Five frames of flat light gray at ``size`` (H.264, like a camera); ``rotate`` stores the
    display rotation a phone writes for a clip filmed upright."""
    coded = path.with_suffix(".coded.mp4") if rotate else path
    run(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"color=c={GRAY}:s={size}:r=25:d=0.2",
            *extra, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(coded),
        ]
    )  # fmt: skip
    if rotate:
        run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(coded), "-c", "copy",
             "-metadata:s:v:0", f"rotate={rotate}", str(path)]
        )  # fmt: skip
    return path


def first_frame_luma(path: Path, fmt: VideoFormat) -> np.ndarray:
    """The first decoded frame's luma plane, as a height x width array."""
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        check=True, capture_output=True, timeout=60,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(fmt.height, fmt.width)


def picture_box(luma: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, width, height) of the picture; everything outside it must be black."""
    lit = luma > 64
    rows, cols = np.flatnonzero(lit.any(axis=1)), np.flatnonzero(lit.any(axis=0))
    left, top = int(cols[0]), int(rows[0])
    width, height = int(cols[-1]) - left + 1, int(rows[-1]) - top + 1
    outside = luma.copy()
    outside[top : top + height, left : left + width] = 0
    assert outside.max() <= 20, "the padding is not black"
    assert luma[top : top + height, left : left + width].min() > 64, "the picture has holes"
    return left, top, width, height


@pytest.mark.parametrize(
    ("size", "options", "box"),
    [
        # wider than 16:9: full width, bars above and below
        ("400x150", {}, (0, 30, 320, 120)),
        # portrait: full height, pillarboxed
        ("180x320", {}, (110, 0, 100, 180)),
        # a phone's portrait clip stored landscape with a rotation: turned, then pillarboxed
        ("320x180", {"rotate": 90}, (110, 0, 100, 180)),
        # smaller than the frame (4:3): upscaled to full height, not shown small
        ("120x90", {}, (40, 0, 240, 180)),
        # anamorphic (4:3 pixels): displayed 16:9, so it fills the frame, not squeezed
        ("240x180", {"extra": ("-vf", "setsar=4/3")}, (0, 0, 320, 180)),
    ],
    ids=["wide", "portrait", "rotated", "small", "anamorphic"],
)
async def test_a_source_is_scaled_to_fit_and_padded_black(tmp_path, size, options, box):
    """The canonical clip is exactly the library's size; the picture keeps its shape."""
    source = solid_source(tmp_path / "source.mp4", size, **options)
    prepared = await prepare_clip(source, tmp_path, FMT, FFmpegCommandBuilder())
    video = streams(prepared.path)["video"]
    assert (video["width"], video["height"]) == (FMT.width, FMT.height)
    assert video.get("sample_aspect_ratio", "1:1") == "1:1"
    left, top, width, height = picture_box(first_frame_luma(prepared.path, FMT))
    assert abs(left - box[0]) <= 2 and abs(top - box[1]) <= 2
    assert abs(width - box[2]) <= 2 and abs(height - box[3]) <= 2


async def test_the_default_format_is_1280x720_with_letterboxing(tmp_path):
    """At the real default (1280x720, 30 fps) a 4:3 source is pillarboxed to 960x720."""
    fmt = VideoFormat()
    source = solid_source(tmp_path / "source.mp4", "320x240")
    prepared = await prepare_clip(source, tmp_path, fmt, FFmpegCommandBuilder())
    assert prepared.info.is_canonical_clip(fmt)
    assert (prepared.info.video.width, prepared.info.video.height) == (1280, 720)
    assert picture_box(first_frame_luma(prepared.path, fmt)) == (160, 0, 960, 720)


async def test_default_encoder_settings_keep_ssim_above_the_threshold(tmp_path):
    """A moving, detailed source normalized at the default CRF and preset scores at least the
    SSIM threshold against the source through the same scaling; a much higher CRF does not."""
    source = tmp_path / "source.mp4"
    run(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
            "-i", "testsrc2=s=480x270:r=30:d=1,noise=alls=3:allf=t",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", "-bf", "2", str(source),
        ]
    )  # fmt: skip
    builder = FFmpegCommandBuilder()
    default = FMT.model_copy(update={"crf": VideoFormat().crf, "preset": VideoFormat().preset})
    coarse = FMT.model_copy(update={"crf": 45})
    scores = {}
    for name, fmt in (("default", default), ("coarse", coarse)):
        clip = tmp_path / f"{name}.mp4"
        run(builder.normalize_clip(source, clip, fmt))
        scores[name] = ssim(clip, source, fmt)
    assert scores["default"] >= SSIM_THRESHOLD, scores
    assert scores["coarse"] < SSIM_THRESHOLD, scores
