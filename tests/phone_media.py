"""Phone-shaped test clips, synthesized by FFmpeg once (cached like tests.helpers.synthesize).

Small and seconds long, but shaped like what phones record: portrait HEVC held sideways
(coded landscape plus a 90° display matrix), 60 fps with a variable frame rate, a clip without
sound, a MOV; each with a click track at a known tempo and first downbeat where it has sound.
Plus what must be refused: a still image, a playlist named .mov, too short, too long.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import click_track_expr, synthesize

SIZE = "320x180"
"""The smallest frame the library takes in the tests (CHOREO_VIDEO_SIZE 320x180 sets the
shortest side: assembly.limits.InputLimits.min_side)."""


@dataclass(frozen=True)
class PhoneClip:
    path: Path
    bpm: float | None
    """Tempo of its click track; None: no sound."""
    first_beat: float
    width: int
    """As displayed."""
    height: int
    codec: str
    rotation: int = 0
    vfr: bool = False


def _audio(bpm: float, first_beat: float, seconds: float) -> list[str]:
    expr = click_track_expr(bpm, first_beat)
    return ["-f", "lavfi", "-i", f"aevalsrc=exprs='{expr}':s=22050:d={seconds}"]


def _make(
    path: Path,
    seconds: float,
    *,
    fps: int = 30,
    bpm: float | None = None,
    first_beat: float = 0.0,
    codec: tuple[str, ...] = ("-c:v", "libx264", "-preset", "ultrafast", "-bf", "2"),
    vf: tuple[str, ...] = (),
    size: str = SIZE,
    container: tuple[str, ...] = (),
) -> Path:
    audio = _audio(bpm, first_beat, seconds) if bpm else []
    synthesize(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=s={size}:r={fps}:d={seconds}", *audio,
            *vf, *codec, "-pix_fmt", "yuv420p",
            *(["-c:a", "aac", "-b:a", "64k", "-shortest"] if bpm else ["-an"]),
            *container, str(path),
        ]
    )  # fmt: skip
    return path


def _rotate(source: Path, target: Path, degrees: int) -> Path:
    """The same streams with a display matrix (what a phone held upright writes)."""
    subprocess.run(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-map", "0",
            "-c", "copy", "-metadata:s:v:0", f"rotate={degrees}", str(target),
        ],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return target


@pytest.fixture(scope="session")
def phone_clips(media_dir) -> dict[str, PhoneClip]:
    """The four shapes of footage the issue names, each with its known facts."""
    folder = media_dir / "phone"
    folder.mkdir(exist_ok=True)
    hevc = _make(
        folder / "hevc-landscape.mp4",
        9.5,
        bpm=120.0,
        first_beat=0.5,
        codec=("-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
               "-tag:v", "hvc1"),
    )  # fmt: skip
    portrait = _rotate(hevc, folder / "cross body lead.mp4", 90)
    vfr = _make(
        folder / "vfr-60.mp4",
        9.0,
        fps=60,
        bpm=128.0,
        first_beat=0.3,
        vf=("-vf", r"select='not(eq(mod(n\,7)\,3))*not(eq(mod(n\,11)\,5))'", "-fps_mode", "vfr"),
    )
    silent = _make(folder / "IMG_0042.mp4", 8.0)
    mov = _make(
        folder / "hammerlock turn.mov", 9.0, fps=24, bpm=115.0, first_beat=0.4,
        container=("-f", "mov"),
    )  # fmt: skip
    return {
        "portrait-hevc": PhoneClip(portrait, 120.0, 0.5, 180, 320, "hevc", rotation=90),
        "vfr-60": PhoneClip(vfr, 128.0, 0.3, 320, 180, "h264", vfr=True),
        "silent": PhoneClip(silent, None, 0.0, 320, 180, "h264"),
        "mov": PhoneClip(mov, 115.0, 0.4, 320, 180, "h264"),
    }


@pytest.fixture(scope="session")
def refused_files(media_dir) -> dict[str, Path]:
    """Files the upload must refuse, by what is wrong with them."""
    folder = media_dir / "phone-refused"
    folder.mkdir(exist_ok=True)
    photo = folder / "photo.mov"
    synthesize(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
            "-i", "testsrc2=s=64x64:r=1:d=1", "-frames:v", "1", "-f", "image2",
            "-c:v", "mjpeg", str(folder / "photo.jpg"),
        ]
    )  # fmt: skip
    photo.write_bytes((folder / "photo.jpg").read_bytes())
    still_in_mov = folder / "still.mov"
    synthesize(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
            "-i", "testsrc2=s=64x64:r=1:d=1", "-frames:v", "1", "-c:v", "png",
            "-f", "mov", str(still_in_mov),
        ]
    )  # fmt: skip
    segment = _make(folder / "segment.ts", 6.0, fps=24, size="64x64")
    playlist = folder / "playlist.mov"
    playlist.write_text(  # a real video it names: followed, it would probe as a 6 s H.264 clip
        f"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\n{segment}\n#EXT-X-ENDLIST\n"
    )
    notes = folder / "notes.mp4"
    notes.write_text("these are my notes, not a video\n" * 20)
    return {
        "still image": photo,
        "still image in a MOV": still_in_mov,
        "playlist": playlist,
        "not a video": notes,
        "too short": _make(folder / "short.mp4", 3.0),
        "too long": _make(folder / "long.mp4", 125.0, fps=12),
        "short for an 8-count": _make(folder / "six-seconds.mp4", 6.0),
    }
