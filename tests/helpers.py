"""Helpers shared by the tests: FFmpeg media synthesis, ffprobe facts, process checks."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from assembly import VideoFormat
from assembly.commands import FFmpegCommandBuilder


def run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=120)


def make_canonical_clip(path: Path, frames: int, fmt: VideoFormat, hue: int = 0) -> Path:
    builder = FFmpegCommandBuilder()
    run(
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
    run(
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
    run(
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


def child_ffmpeg_pids(parent: int | None = None) -> list[int]:
    """PIDs of live (non-zombie) ffmpeg/ffprobe processes whose parent is ``parent``."""
    parent = os.getpid() if parent is None else parent
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        state, ppid = fields[0], int(fields[1])
        if ppid == parent and comm.startswith(("ffmpeg", "ffprobe")) and state != "Z":
            found.append(int(entry.name))
    return found


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


LIVE_DB_MARKER = "_live_"


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
