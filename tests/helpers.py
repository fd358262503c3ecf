"""Helpers shared by the tests: FFmpeg media synthesis, ffprobe facts, process checks."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from assembly import VideoFormat
from assembly.commands import FFmpegCommandBuilder


def run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=120)


def test_cache_root() -> Path:
    """Where tests keep what they build once for many sessions (``CHOREO_TEST_CACHE``, by
    default ~/.cache/choreo-tests): CI's PostgreSQL run reuses what its SQLite run made."""
    root = Path(os.environ.get("CHOREO_TEST_CACHE", Path.home() / ".cache" / "choreo-tests"))
    root.mkdir(parents=True, exist_ok=True)
    return root


STALE_AFTER_S = 2 * 24 * 3600
"""A cached entry unused for this long is removed when another is made."""


def remove_stale(paths) -> None:
    """Remove the cached entries among ``paths`` no session used for ``STALE_AFTER_S``
    (another checkout may be using its own entries right now: only long-unused ones go)."""
    for path in paths:
        try:
            if time.time() - path.stat().st_mtime <= STALE_AFTER_S:
                continue
        except FileNotFoundError:  # removed meanwhile by another worker
            continue
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


@functools.cache
def ffmpeg_version() -> str:
    return subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=True).stdout


def synthesize(argv: list[str]) -> Path:
    """Run an FFmpeg command that makes a file from lavfi sources alone (its output path last),
    or copy that file from the test cache: the same command with the same FFmpeg makes the same
    bytes, so each worker and each run need not encode it again."""
    path = Path(argv[-1])
    digest = hashlib.sha256("\0".join([ffmpeg_version(), *argv[:-1], path.suffix]).encode())
    folder = test_cache_root() / "media"
    folder.mkdir(exist_ok=True)
    cached = folder / f"{digest.hexdigest()[:24]}{path.suffix}"
    if not cached.exists():
        remove_stale(folder.iterdir())
        with tempfile.TemporaryDirectory(dir=folder, prefix=".") as partial:
            made = Path(partial) / f"made{path.suffix}"
            run([*argv[:-1], str(made)])
            made.replace(cached)  # whole or not at all: a parallel worker never sees a part
    cached.touch()  # in use: not stale
    shutil.copyfile(cached, path)
    return path


def make_canonical_clip(path: Path, frames: int, fmt: VideoFormat, hue: int = 0) -> Path:
    builder = FFmpegCommandBuilder()
    synthesize(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=s={fmt.width}x{fmt.height}:r={fmt.fps}",
            "-vf", f"hue=h={hue}", "-frames:v", str(frames), "-an",
            *builder.canonical_video_codec_args(fmt), str(path),
        ]
    )  # fmt: skip
    return path


def make_phone_clip(path: Path, seconds: float, size: str = "352x288", fps: int = 25) -> Path:
    """Like camera footage: H.264 with B-frames and an AAC track, not canonical."""
    synthesize(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=s={size}:r={fps}:d={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", str(path),
        ]
    )  # fmt: skip
    return path


def make_song(path: Path, seconds: float, codec_args: tuple[str, ...] = ("-c:a", "aac")) -> Path:
    synthesize(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"sine=frequency=330:beep_factor=4:duration={seconds}",
            "-ac", "2", *codec_args, str(path),
        ]
    )  # fmt: skip
    return path


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        [
            "ffprobe", "-v", "error", "-count_packets", "-print_format", "json",
            "-show_format", "-show_streams", str(path),
        ],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(out)


def streams(path: Path) -> dict[str, dict]:
    return {s["codec_type"]: s for s in ffprobe(path)["streams"]}


def decode_errors(path: Path) -> str:
    """What FFmpeg prints when fully decoding ``path`` (empty when clean)."""
    result = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
    )
    return result.stderr.strip()


def frame_hashes(path: Path) -> list[str]:
    """The MD5 of every decoded video frame of ``path``: equal hashes are identical pictures."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "framemd5", "-"],
        check=True, capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if not line.startswith("#")]


def children(parent: int) -> list[tuple[int, str, str]]:
    """(pid, command name, state) of every child of ``parent``, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if int(ppid) == parent:
            found.append((int(entry.name), comm, state))
    return found


def child_ffmpeg_pids(parent: int | None = None) -> list[int]:
    """PIDs of live (non-zombie) ffmpeg/ffprobe processes whose parent is ``parent``."""
    parent = os.getpid() if parent is None else parent
    return [
        pid
        for pid, comm, state in children(parent)
        if comm.startswith(("ffmpeg", "ffprobe")) and state != "Z"
    ]


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


LIVE_DB_MARKER = f"_live_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_"
"""Per pytest-xdist worker: a worker drops only the live databases it made."""


def isolated_database_env() -> dict[str, str]:
    """Environment for a server or command the tests start in another process.

    On SQLite every data dir has its own database already. On PostgreSQL runs each live server
    gets a fresh database of its own, so servers never see each other's libraries (they are
    dropped at the end of the session by ``drop_live_databases``).
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return {}
    import uuid

    import psycopg

    server, _, name = url.rpartition("/")
    live = f"{name}{LIVE_DB_MARKER}{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{live}"')
    return {"DATABASE_URL": f"{server}/{live}"}


TEST_REDIS_URL = os.environ.get("CHOREO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
"""The Redis tests and the live servers that need a shared cache use (``serve --workers 2``
refuses to start without one)."""


def redis_unreachable(url: str = TEST_REDIS_URL) -> str:
    """Why Redis at ``url`` cannot be used, or "" when it answers."""
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.RedisError as exc:
        return f"no Redis answering at {url} ({exc})"
    return ""


def drop_live_databases() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    server, _, name = url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{name}{LIVE_DB_MARKER}%",)
        ).fetchall()
        for (live,) in rows:
            conn.execute(f'DROP DATABASE IF EXISTS "{live}" WITH (FORCE)')


def click_track_expr(bpm: float, first_beat: float, *, accent: bool = True, pickup: int = 0) -> str:
    """An aevalsrc expression: a click on every beat from ``first_beat`` (count 1), count 1 of
    every bar accented (louder, higher), plus ``pickup`` unaccented clicks before it and a pad."""
    beat = 60.0 / bpm
    start = first_beat - pickup * beat
    x = f"(t-{first_beat:.6f})"
    phase = f"mod({x}+{8 * beat:.6f},{beat:.6f})"
    bar = f"mod({x}+{8 * beat:.6f},{4 * beat:.6f})"
    click = (
        f"if(lt({bar},{beat / 2:.6f}),0.8*sin(2*PI*1760*t),0.45*sin(2*PI*880*t))"
        if accent
        else "0.6*sin(2*PI*1200*t)"
    )
    return f"gte(t,{start - 0.001:.6f})*{click}*exp(-40*{phase})+0.05*sin(2*PI*220*t)"


def make_click_track(path: Path, bpm: float, first_beat: float, seconds: float, **options) -> Path:
    """A click track of known tempo and first downbeat, as AAC in M4A (like an imported song).

    Mono at 22.05 kHz: FFmpeg evaluates the expression per sample, and that is what costs.
    """
    expr = click_track_expr(bpm, first_beat, **options)
    synthesize(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"aevalsrc=exprs='{expr}':s=22050:d={seconds}",
            "-c:a", "aac", "-b:a", "96k", str(path),
        ]
    )  # fmt: skip
    return path


def make_dance_clip(
    path: Path, seconds: float, *, bpm: float | None = None, size: str = "352x288", fps: int = 25
) -> Path:
    """Camera-like footage (B-frames); with ``bpm``, an audio track of clicks at that tempo."""
    audio = (
        ["-f", "lavfi", "-i", f"aevalsrc=exprs='{click_track_expr(bpm, 0.1)}':s=22050:d={seconds}"]
        if bpm
        else []
    )
    synthesize(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=s={size}:r={fps}:d={seconds}", *audio,
            "-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-pix_fmt", "yuv420p",
            *(["-c:a", "aac", "-shortest"] if bpm else ["-an"]), str(path),
        ]
    )  # fmt: skip
    return path


def make_solid_clip(path: Path, frames: int, fmt: VideoFormat, color: str) -> Path:
    """A canonical clip of one flat colour, so a frame's colour tells which clip it came from."""
    builder = FFmpegCommandBuilder()
    synthesize(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"color=c={color}:s={fmt.width}x{fmt.height}:r={fmt.fps}",
            "-frames:v", str(frames), "-an",
            *builder.canonical_video_codec_args(fmt), str(path),
        ]
    )  # fmt: skip
    return path


def frame_colors(path: Path) -> list[tuple[int, int, int]]:
    """The mean RGB colour of every video frame of ``path``."""
    raw = subprocess.run(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:v:0",
            "-vf", "scale=1:1:flags=area", "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
        ],
        check=True, capture_output=True, timeout=120,
    ).stdout  # fmt: skip
    return [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]


MOTION_THRESHOLD = 1.0
"""Mean absolute difference (0-255 grey levels, 64x36 thumbnails) a dancing clip must exceed
between some two decoded frames a quarter second apart; a still picture scores 0."""


MOTION_FILTER = "fps=4,scale=64:36,format=gray"
"""FFmpeg's video filter for what ``motion`` compares: grey thumbnails 0.25 s apart."""


def motion(thumbnails: bytes) -> float:
    """The largest mean grey-level change between consecutive thumbnails (MOTION_FILTER, raw)."""
    import numpy as np

    thumbs = np.frombuffer(thumbnails, dtype=np.uint8).reshape(-1, 36, 64).astype(np.int16)
    return float(np.abs(np.diff(thumbs, axis=0)).mean(axis=(1, 2)).max())
