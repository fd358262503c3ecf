"""``manage.py serve`` with STORAGE_BACKEND=s3: start-up checks, and a real uvicorn on S3."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from choreography.runtime import Runtime
from tests.helpers import isolated_database_env, streams
from tests.live import spawn_serve
from tests.s3server import free_ports

ROOT = Path(__file__).resolve().parents[2]


def manage_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "CHOREO_DATA_DIR": str(data_dir),
        "CHOREO_VIDEO_SIZE": "320x180",
        "DJANGO_SETTINGS_MODULE": "asgi_project.settings",
        "PYTHONUNBUFFERED": "1",
        "CHOREO_LOG_LEVEL": "INFO",
        **isolated_database_env(),
        **extra,
    }
    return {name: value for name, value in env.items() if value}


def manage(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_s3_without_a_bucket_stops_start_up_with_one_line(tmp_path):
    """STORAGE_BACKEND=s3 and no S3_BUCKET: exit 1, one line naming the variable."""
    result = manage(manage_env(tmp_path, STORAGE_BACKEND="s3", S3_BUCKET=""), "serve")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "choreo: invalid configuration: S3_BUCKET is required when STORAGE_BACKEND=s3"
    ]


def test_unreachable_endpoint_stops_start_up_with_one_line(tmp_path, s3_server):
    """Nothing at S3_ENDPOINT_URL: serve exits 1 with one line naming the URL, no traceback."""
    endpoint = f"http://127.0.0.1:{free_ports(1)[0]}"
    env = manage_env(
        tmp_path, STORAGE_BACKEND="s3", S3_BUCKET="choreo-media", S3_ENDPOINT_URL=endpoint
    )
    result = manage(env, "serve", "--no-demo")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        f"CommandError: storage is not usable (S3_BUCKET=choreo-media, S3_ENDPOINT_URL={endpoint}): "
    )
    assert "cannot connect to the endpoint" in lines[0]
    assert not (tmp_path / "choreo.sqlite3").exists()  # stopped before migrating


def test_serve_on_s3_over_a_real_socket(tmp_path, s3_server, canonical_clips, song_file):
    """serve on S3: media imported by a management command (its own event loop) is assembled
    in uvicorn's loop; the presigned URL serves the video; shutdown is clean."""
    env = manage_env(
        tmp_path,
        STORAGE_BACKEND="s3",
        S3_BUCKET=s3_server.bucket,
        S3_ENDPOINT_URL=s3_server.endpoint_url,
        S3_KEY_PREFIX=f"serve-{tmp_path.name}",
    )
    # The README's import commands, on S3: each file in its own event loop (run_sync), so the
    # aioboto3 client of one loop is never reused by the next.
    imported = manage(
        env, "import_moves", *(str(c) for c in canonical_clips[:3]), "--style", "romantic"
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    imported = manage(env, "import_song", str(song_file), "--title", "S", "--bpm", "120")
    assert imported.returncode == 0, imported.stderr
    log_path = tmp_path / "serve.log"
    proc, port = spawn_serve(env, log_path, timeout=60)
    try:
        base = f"http://127.0.0.1:{port}"
        token = manage(env, "issue_token", "dancer").stdout.strip().splitlines()[-1]
        song = httpx.get(f"{base}/api/songs/").json()["items"][0]
        for _ in range(2):  # the second request reuses the process's client
            response = httpx.post(
                f"{base}/api/choreography/generate/",
                json={"song_id": song["id"]},
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
            )
            assert response.status_code == 200, response.text
        video_url = response.json()["video_url"]
        assert video_url.startswith(f"{s3_server.endpoint_url}/{s3_server.bucket}/serve-")
        video = httpx.get(video_url)
        assert video.status_code == 200
        (tmp_path / "v.mp4").write_bytes(video.content)
        assert streams(tmp_path / "v.mp4")["video"]["codec_name"] == "h264"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    log = log_path.read_text()
    # uvicorn re-raises the signal after its graceful shutdown.
    assert proc.returncode == -signal.SIGTERM, log
    assert "storage: s3 bucket" in log
    assert "Waiting for application shutdown." in log
    assert "Application shutdown complete." in log
    for problem in ("Traceback", "Unclosed", "another event loop", "ERROR"):
        assert problem not in log, log


def test_plain_uvicorn_exits_when_start_up_fails(tmp_path):
    """``uvicorn asgi_project.asgi:application`` (lifespan auto) with storage it cannot reach:
    the lifespan reports ``lifespan.startup.failed``, so uvicorn exits non-zero with the error
    instead of serving without a runtime."""
    endpoint = f"http://127.0.0.1:{free_ports(1)[0]}"  # nothing listens there
    env = manage_env(
        tmp_path,
        STORAGE_BACKEND="s3",
        S3_BUCKET="choreo-media",
        S3_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="choreo-test",
        AWS_SECRET_ACCESS_KEY="choreo-test-secret",
    )
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "asgi_project.asgi:application", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Application startup failed" in output, output
    assert "choreo could not start: " in output, output
    assert "cannot connect to the endpoint" in output, output
    assert "Uvicorn running" not in output, output


@pytest.mark.django_db(transaction=True)
async def test_lifespan_closes_the_runtime_once(monkeypatch):
    """Start-up then shutdown: complete both ways, and the runtime it opened is closed once."""
    from asgi_project.asgi import Lifespan

    closed = []
    close = Runtime.aclose

    async def counted(self) -> None:
        closed.append(self)
        await close(self)

    monkeypatch.setattr(Runtime, "aclose", counted)
    inbox: asyncio.Queue = asyncio.Queue()
    for kind in ("lifespan.startup", "lifespan.shutdown"):
        inbox.put_nowait({"type": kind})
    sent = []

    async def send(message) -> None:
        sent.append(message["type"])

    state: dict = {}
    await Lifespan(app=None)({"type": "lifespan", "state": state}, inbox.get, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert len(closed) == 1
    assert state["runtime"] is closed[0]  # the one every request's scope["state"] carries


async def test_a_server_without_lifespan_state_fails_start_up():
    """A server that gives the lifespan no state could not hand the runtime to requests: the
    start-up fails, saying why, instead of serving without one."""
    from asgi_project.asgi import Lifespan

    inbox: asyncio.Queue = asyncio.Queue()
    inbox.put_nowait({"type": "lifespan.startup"})
    sent = []

    async def send(message) -> None:
        sent.append(message)

    await Lifespan(app=None)({"type": "lifespan"}, inbox.get, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert 'scope["state"]' in sent[0]["message"]
