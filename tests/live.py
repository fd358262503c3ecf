"""Helpers for tests against a real ``manage.py serve`` (uvicorn) on 127.0.0.1.

A *template* data dir is seeded once (migrated database, a small library, users with tokens)
and copied for each server, so starting one costs a second or two. Tests read the server's
SQLite database directly (read-only) to see what it recorded.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import pickle
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers import (
    TEST_REDIS_URL,
    children,
    ffmpeg_version,
    remove_stale,
    test_cache_root,
)

ROOT = Path(__file__).resolve().parent.parent
USERS = ("alice", "bob", "carol", "dave", "erin")

SEED_SCRIPT = """
import json, os, sys
from pathlib import Path
import django
django.setup()
from django.core.management import call_command
from choreography.accounts.tokens import issue_token
from choreography.library.imports import ClipMetadata, import_clip, import_song
from choreography.models import Song
async def store_song(path, title, bpm, first_beat, duration, *, runtime):
    # A song already in the canonical format, stored and recorded without the import's
    # transcode and analysis: a long timeline for tests, not a test of importing.
    key = f"library/songs/{title.lower().replace(' ', '-')}.m4a"
    await runtime.storage.upload(Path(path), key)
    phrases = int((duration - first_beat) / (8 * 60 / bpm))
    await Song.objects.acreate(
        title=title, artist="Tester", audio_key=key, duration_seconds=duration, bpm=bpm,
        first_beat_seconds=first_beat, energy_curve=[0.1 + 0.05 * (i % 8) for i in range(phrases)],
        analysis={"bpm_source": "given", "first_beat_source": "given"}, content_hash=key,
    )

spec = json.loads(sys.argv[1])
call_command("migrate", interactive=False, verbosity=0)
# What serve collects at every start: collected once here, each copy starts with it.
call_command("collectstatic", interactive=False, verbosity=0)

async def seed(*, runtime):
    for i, clip in enumerate(spec["clips"]):
        await import_clip(Path(clip["path"]), ClipMetadata(**clip["meta"]), runtime=runtime)
    for song in spec["songs"]:
        await import_song(
            Path(song["path"]), title=song["title"], artist="Tester", bpm=song["bpm"],
            runtime=runtime,
        )
    for song in spec["stored_songs"]:
        await store_song(**song, runtime=runtime)
    return {user: await issue_token(user) for user in spec["users"]}

from choreography.runtime import run_sync
tokens = run_sync(seed)
existing = Path(os.environ["CHOREO_DATA_DIR"], "tokens.json")
if existing.exists():
    tokens = {**json.loads(existing.read_text()), **tokens}
existing.write_text(json.dumps(tokens))
"""


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "CHOREO_DATA_DIR": str(data_dir),
        "CHOREO_VIDEO_SIZE": "320x180",
        "CHOREO_LOG_LEVEL": "INFO",
        "DJANGO_SETTINGS_MODULE": "asgi_project.settings",
        # Live servers run on a copied template data dir, SQLite database included, and the
        # tests read that file; the PostgreSQL run covers these servers in test_server.py.
        "DATABASE_URL": "",
    }
    env.update(extra)
    return env


def seed(
    data_dir: Path,
    *,
    clips=(),
    songs=(),
    stored_songs=(),
    users=(),
    env: dict | None = None,
) -> None:
    """Migrate ``data_dir``'s database and import clips/songs through the real import path;
    ``stored_songs`` (path, title, bpm, first_beat, duration) are canonical files recorded as is."""
    spec = {
        "clips": list(clips),
        "songs": list(songs),
        "stored_songs": list(stored_songs),
        "users": list(users),
    }
    subprocess.run(
        [sys.executable, "-c", SEED_SCRIPT, json.dumps(spec)],
        cwd=ROOT,
        env=server_env(data_dir, **(env or {})),
        check=True,
        capture_output=True,
        timeout=180,
    )


def run_in_server_env(data_dir: Path, script: str, *args: str) -> None:
    """Run a Python snippet with a server's environment (its data dir and database)."""
    subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=server_env(data_dir),
        check=True,
        capture_output=True,
        timeout=120,
    )


CACHE_INPUTS = (
    *("asgi_project", "assembly", "choreography", "storage", "uv.lock"),
    *("tests/conftest.py", "tests/helpers.py", "tests/live.py", "tests/settings.py"),
)
"""What a seeded template is made of: when none of it changed, the template is reused."""


@functools.cache
def content_key(*extra: Path) -> str:
    """A digest of the code and tools that build a template (and of ``extra`` files): any
    change makes a new one. Computed once per process (the code does not change during a run;
    every ``library`` fixture asks)."""
    digest = hashlib.sha256()
    for name in (*CACHE_INPUTS, *(str(path.relative_to(ROOT)) for path in extra)):
        root = ROOT / name
        for path in sorted(root.rglob("*.py") if root.is_dir() else [root]):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    digest.update(ffmpeg_version().encode())
    return digest.hexdigest()[:16]


def cached_template(name: str, build: Callable[[Path], None]) -> Path:
    """``build(dir)`` once per content key, kept in the test cache (``CHOREO_TEST_CACHE``, by
    default ~/.cache/choreo-tests) and reused by later sessions: CI's PostgreSQL run reuses what
    its SQLite run seeded. Parallel workers wait on a lock; a partial build is never visible."""
    root = test_cache_root()
    target = root / f"{name}-{content_key()}"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            remove_stale(root.glob(f"{name}-*"))
            partial = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
            try:
                build(partial)
                partial.rename(target)
            except BaseException:
                shutil.rmtree(partial, ignore_errors=True)
                raise
        target.touch()  # in use: not stale
    return target


class KeptImport:
    """What an import made (row fields and stored objects), kept in the test cache by content
    key: the first test that needs it imports through the real import path, every later one
    (in any worker, in later runs on the same code) gets the same rows and objects restored into
    its own database and storage. For tests about what is imported, not about importing."""

    def __init__(self, name: str, *sources: Path) -> None:
        self.entry = test_cache_root() / f"{name}-{content_key(*sources)}"

    async def restore(self, storage) -> dict | None:
        """The kept row fields after storing the kept objects again (in ``storage``); None if
        nothing is kept."""
        kept = self._load()
        if kept is None:
            return None
        for key in kept["keys"]:
            await storage.upload(self.entry / "objects" / key, key)
        return kept["rows"]

    async def keep(self, storage, keys: list[str], rows: dict) -> None:
        """Copy the stored objects ``keys`` (from ``storage``) and the row fields ``rows`` into
        the cache."""
        partial = Path(tempfile.mkdtemp(prefix=".kept-", dir=self.entry.parent))
        try:
            keys = [key for key in keys if key]
            for key in keys:
                (partial / "objects" / key).parent.mkdir(parents=True, exist_ok=True)
                await storage.download(key, partial / "objects" / key)
            self._publish(partial, {"keys": keys, "rows": rows})
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    def _load(self) -> dict | None:
        if not self.entry.exists():
            return None
        self.entry.touch()  # in use: not stale
        return pickle.loads((self.entry / "rows.pickle").read_bytes())

    def _publish(self, partial: Path, kept: dict) -> None:
        remove_stale(self.entry.parent.glob(f"{self.entry.name.rsplit('-', 1)[0]}-*"))
        (partial / "rows.pickle").write_bytes(pickle.dumps(kept))
        try:
            partial.rename(self.entry)  # whole or not at all
        except OSError:
            if not self.entry.exists():  # else: another worker kept the same import first
                raise


def copy_data_dir(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest)
    return dest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


TASK_ROWS_SQL = (
    "SELECT t.id, t.status, t.stage, t.progress, t.error, t.owner, u.username "
    "FROM choreography_choreographytask t JOIN auth_user u ON u.id = t.user_id "
    "ORDER BY t.created_at DESC"
)


@dataclass
class LiveServer:
    proc: subprocess.Popen
    port: int
    data_dir: Path
    log_path: Path
    env: dict

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def tokens(self) -> dict[str, str]:
        return json.loads((self.data_dir / "tokens.json").read_text())

    def auth(self, user: str = "alice") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def work_dirs(self) -> list[str]:
        """Temporary directories inside the per-instance work roots (work/<instance>/<dir>)."""
        work = self.data_dir / "work"
        if not work.is_dir():
            return []
        return sorted(
            f"{instance.name}/{entry.name}"
            for instance in work.iterdir()
            if instance.is_dir()
            for entry in instance.iterdir()
        )

    @property
    def database_url(self) -> str:
        return self.env.get("DATABASE_URL", "")

    def task_rows(self) -> list[dict]:
        """Every ChoreographyTask row, newest first, read straight from the database."""
        if self.database_url:
            import psycopg
            from psycopg.rows import dict_row

            with psycopg.connect(self.database_url, row_factory=dict_row) as db:
                rows = db.execute(TASK_ROWS_SQL).fetchall()
            return [{**row, "id": str(row["id"])} for row in rows]
        db = sqlite3.connect(f"file:{self.data_dir / 'choreo.sqlite3'}?mode=ro", uri=True)
        try:
            db.row_factory = sqlite3.Row
            rows = db.execute(TASK_ROWS_SQL).fetchall()
            return [dict(row) for row in rows]
        finally:
            db.close()

    def task_row(self, task_id: str) -> dict:
        wanted = task_id.replace("-", "")
        return next(row for row in self.task_rows() if row["id"].replace("-", "") == wanted)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)


def spawn_serve(
    env: dict[str, str], log_path: Path, *args: str, port: int | None = None, timeout: float = 90
) -> tuple[subprocess.Popen, int]:
    """``manage.py serve ARGS`` on ``port`` (default: a free one), its output in ``log_path``;
    returns (process, port) once /health/ answers 200. The one way tests and benches start a
    real server."""
    port = port or free_port()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port), *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("serve exited at start-up:\n" + log_path.read_text())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/", timeout=2).status_code == 200:
                return proc, port
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    raise AssertionError("serve did not start:\n" + log_path.read_text())


def start_server(data_dir: Path, *, workers: int = 1, **env: str) -> LiveServer:
    """``manage.py serve --no-demo`` on a seeded data dir; returns once /health/ answers 200.
    Several workers get the test Redis as their shared cache (serve refuses to start without)."""
    if workers > 1:
        env.setdefault("REDIS_URL", TEST_REDIS_URL)
    log_path = data_dir / f"serve-{time.monotonic_ns()}.log"
    proc, port = spawn_serve(
        server_env(data_dir, **env), log_path, "--no-demo", "--workers", str(workers)
    )
    return LiveServer(proc, port, data_dir, log_path, env)


def child_pids(parent: int) -> set[int]:
    """Every child of ``parent`` in any state (zombies too: a zombie is not yet reaped)."""
    return {pid for pid, _, _ in children(parent)}


def wait_for(predicate, *, timeout: float, interval: float = 0.02, what: str = "condition"):
    """Poll until ``predicate()`` is truthy; returns (value, seconds waited)."""
    started = time.monotonic()
    while True:
        value = predicate()
        if value:
            return value, time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class RawRequest:
    """An HTTP/1.1 request over a plain socket, so a test can read part and then hang up."""

    def __init__(self, server: LiveServer, body: dict, *, user="alice", sse=False) -> None:
        payload = json.dumps(body).encode()
        lines = [
            "POST /api/choreography/generate/ HTTP/1.1",
            f"Host: 127.0.0.1:{server.port}",
            f"Authorization: Bearer {server.tokens[user]}",
            "Content-Type: application/json",
            f"Content-Length: {len(payload)}",
        ]
        if sse:
            lines.append("Accept: text/event-stream")
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        self.received = b""

    def read_until(self, marker: bytes, timeout: float = 60) -> bytes:
        deadline = time.monotonic() + timeout
        while marker not in self.received:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {marker!r} in {self.received[-500:]!r}")
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"connection closed before {marker!r}: {self.received!r}")
            self.received += chunk
        return self.received

    def read_all(self, timeout: float = 60) -> bytes:
        self.sock.settimeout(timeout)
        while chunk := self.sock.recv(65536):
            self.received += chunk
        return self.received

    def close(self) -> None:
        self.sock.close()


@dataclass(frozen=True)
class Event:
    name: str
    data: dict | None
    comment: str | None = None


def parse_sse(lines: Iterator[str]) -> Iterator[Event]:
    """Events from SSE lines (no trailing newlines); comments come out as Event("comment")."""
    name, data = "message", []
    for line in lines:
        if line == "":
            if data:
                yield Event(name, json.loads("\n".join(data)))
            name, data = "message", []
        elif line.startswith(":"):
            yield Event("comment", None, line[1:].strip())
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    if data:
        yield Event(name, json.loads("\n".join(data)))


def dechunk(raw: bytes) -> bytes:
    """The body of a raw HTTP/1.1 response with chunked transfer encoding."""
    _, _, rest = raw.partition(b"\r\n\r\n")
    body = b""
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        body, rest = body + rest[:size], rest[size + 2 :]
    return body


CLIP_META = [
    {
        "name": f"live-move-{i}",
        "label": f"Live Move {i}",
        **dict(zip(("difficulty", "energy_level", "style"), combo, strict=True)),
    }
    for i, combo in enumerate(
        [
            ("beginner", "low", "romantic"),
            ("intermediate", "medium", "energetic"),
            ("advanced", "high", "sensual"),
            ("intermediate", "medium", "playful"),
            ("beginner", "medium", "romantic"),
            ("advanced", "high", "playful"),
        ]
    )
]
"""Metadata for the six session clips (tests/conftest.py canonical_clips)."""
