"""The README's first command for real: ``manage.py serve`` under uvicorn, over a socket."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from choreography.library.demo import DEMO_FRAMING, DEMO_SONGS, demo_move_metadata
from tests.helpers import (
    MOTION_FILTER,
    MOTION_THRESHOLD,
    TEST_REDIS_URL,
    decode_errors,
    isolated_database_env,
    motion,
    streams,
)
from tests.live import spawn_serve, wait_for

ROOT = Path(__file__).resolve().parents[2]
DEMO_MOVES = 12
"""A quarter of the demo moves (an even spread: every level and energy): enough for every
check below, and the build the suite waits for stays short."""
SLOW_S = 30.0
"""Reads while the two workers render the demo's tempo variants in the background may wait
longer than httpx's default 5 s on a loaded 2-core machine (seen once in CI)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real `serve` on a fresh data dir: migrations + demo library + uvicorn."""
    data_dir = tmp_path_factory.mktemp("serve-data")
    env = {
        **os.environ,
        "CHOREO_DATA_DIR": str(data_dir),
        "CHOREO_VIDEO_SIZE": "320x180",
        "CHOREO_MAX_PER_USER": "8",  # one user sends the 8 simultaneous generations below
        "CHOREO_LOG_LEVEL": "INFO",  # the background warm-up says when it is done
        "DJANGO_SETTINGS_MODULE": "asgi_project.settings",
        "REDIS_URL": TEST_REDIS_URL,  # several workers need a shared cache (the throttle)
        **isolated_database_env(),
    }
    # The image's command shape: several uvicorn workers sharing one database.
    proc, port = spawn_serve(
        env, data_dir / "serve.log", "--workers", "2", "--demo-moves", str(DEMO_MOVES), timeout=120
    )
    base = f"http://127.0.0.1:{port}"
    token = (
        subprocess.run(
            [sys.executable, "manage.py", "issue_token", "dancer"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    yield base, token, data_dir, env
    proc.terminate()
    proc.wait(timeout=30)


def test_demo_library_is_created_and_listed(server):
    """serve created the demo songs, 30-90 s long, each at its own tempo, and said so as it
    went (the build takes a while on a busy machine)."""
    base, _, data_dir, _ = server
    printed = (data_dir / "serve.log").read_text()
    clips = DEMO_MOVES + len(DEMO_FRAMING)
    assert f"demo library: song {len(DEMO_SONGS)}/{len(DEMO_SONGS)} (" in printed
    assert f"demo library: clip 5/{clips} (" in printed
    assert f"demo library: clip {clips}/{clips} (" in printed
    items = httpx.get(f"{base}/api/songs/", timeout=SLOW_S).json()["items"]
    assert len(items) == len(DEMO_SONGS)
    assert all(30 <= song["duration_seconds"] <= 90 for song in items)
    assert len({song["bpm"] for song in items}) == len(items)


def test_the_front_door_plays_the_demo_choreography(server):
    """serve made the front door's demo once (about 32 s, shared): a visitor's ``/`` shows it in
    the practice player, and its video route answers with the video."""
    base, _, data_dir, _ = server
    assert "front door demo ready:" in (data_dir / "serve.log").read_text()
    page = httpx.get(f"{base}/", headers={"Accept": "text/html"}, timeout=SLOW_S)
    assert page.status_code == 200 and 'id="player"' in page.text
    found = re.search(
        r'<script id="shared-player" type="application/json">(.*?)</script>', page.text
    )
    assert found, page.text[-600:]
    player = json.loads(found.group(1))
    end = max(move["start_time"] + move["duration"] for move in player["moves"])
    assert 24 <= end <= 40, end
    video = httpx.get(base + player["video_url"], follow_redirects=True, timeout=SLOW_S)
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"


MOVES_AS_JSON = """
import json, django
django.setup()
from choreography.models import Move
from choreography.studios.models import StudioMove
print(json.dumps({
    "public": list(Move.objects.filter(studio_move__isnull=True).values(
        "name", "clip_key", "poster_key", "duration_seconds", "frames", "tempo_bpm")),
    "studio_ready": StudioMove.objects.filter(status="ready").count(),
}))
"""


def decode_all(clips: list[Path], thumbnails: Path) -> str:
    """Decode every clip in one FFmpeg (not two per clip: its start-up dominates at this size),
    writing each one's motion thumbnails (MOTION_FILTER) to ``thumbnails/<index>.gray``;
    returns what FFmpeg printed (empty when every clip decoded cleanly).

    The demo clips have a video stream only (``clip_command``: ``-an``): decoding it is
    decoding the whole clip, as ``decode_errors`` does.
    """
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    outputs = [
        arg
        for index in range(len(clips))
        for arg in (
            "-map", f"{index}:v:0", "-vf", MOTION_FILTER, "-f", "rawvideo",
            str(thumbnails / f"{index}.gray"),
        )
    ]  # fmt: skip
    result = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", *inputs, *outputs],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return result.stderr.strip() or ("" if result.returncode == 0 else f"exit {result.returncode}")


def test_every_demo_clip_decodes_dances_and_has_a_poster(server, tmp_path):
    """The library serve built: every clip decodes cleanly, moves, lasts its 8 or 16 counts at
    its tempo and has a JPEG poster (local storage: the files are in the data dir)."""
    _, _, data_dir, env = server
    listed = subprocess.run(
        [sys.executable, "-c", MOVES_AS_JSON], cwd=ROOT, env=env, capture_output=True,
        text=True, check=True, timeout=60,
    )  # fmt: skip
    listing = json.loads(listed.stdout)
    moves = listing["public"]  # the demo studio's three moves have their own test
    assert len(moves) == len(demo_move_metadata(DEMO_MOVES)) + len(DEMO_FRAMING)
    assert listing["studio_ready"] == 3, "serve in demo mode also made the demo studio"
    media = data_dir / "media"
    clips = [media / move["clip_key"] for move in moves]
    if decode_all(clips, tmp_path) != "":  # name the clips that fail, one decode each
        assert {m["name"]: decode_errors(c) for m, c in zip(moves, clips, strict=True)} == {
            m["name"]: "" for m in moves
        }
    for index, move in enumerate(moves):
        assert (media / move["poster_key"]).read_bytes().startswith(b"\xff\xd8\xff")
        thumbnails = (tmp_path / f"{index}.gray").read_bytes()
        assert motion(thumbnails) > MOTION_THRESHOLD, move["name"]
        assert move["frames"] == round(move["duration_seconds"] * 30)
        beats = move["duration_seconds"] * move["tempo_bpm"] / 60
        assert round(beats) in (8, 16), (move["name"], beats)
        assert abs(beats - round(beats)) < 0.1, (move["name"], beats)


VARIANTS_MISSING = """
import json, django
django.setup()
from choreography.runtime import run_sync

async def count(*, runtime):
    from choreography.library.variants import needed_for_song
    from choreography.models import Move, MoveVariant, Song

    moves = [m async for m in Move.objects.all()]
    stored = {(v.move_id, v.step) async for v in MoveVariant.objects.all()}
    needed = [(m.pk, step) async for song in Song.objects.all()
              for m, step in needed_for_song(song, moves, fps=runtime.video_format.fps)]
    return len(needed), len([key for key in needed if key not in stored])

print(json.dumps(run_sync(count)))
"""


def test_the_demo_tempo_variants_are_rendered_in_the_background(server):
    """serve answers before the demo's tempo variants exist; its workers then render every one
    the demo songs need (a request meanwhile renders what it needs itself), and each song's API
    then says variants_ready."""
    base, _, data_dir, env = server
    log = data_dir / "serve.log"
    wait_for(
        lambda: "tempo variant warm-up:" in log.read_text(),
        timeout=240,
        interval=0.5,
        what="warm-up",
    )
    counted = subprocess.run(
        [sys.executable, "-c", VARIANTS_MISSING], cwd=ROOT, env=env, capture_output=True,
        text=True, check=True, timeout=60,
    )  # fmt: skip
    needed, missing = json.loads(counted.stdout.strip().splitlines()[-1])
    assert needed > 0 and missing == 0, (needed, missing)
    for song in httpx.get(f"{base}/api/songs/", timeout=SLOW_S).json()["items"]:
        detail = httpx.get(f"{base}/api/songs/{song['id']}/", timeout=SLOW_S).json()
        assert detail["variants_ready"] is True, song


def test_generate_over_a_real_socket_returns_a_playable_video(server, tmp_path):
    """POST waits for the video; the URL serves it (with ranges) and ffprobe accepts it."""
    base, token, *_ = server
    song = httpx.get(f"{base}/api/songs/", timeout=SLOW_S).json()["items"][0]
    response = httpx.post(
        f"{base}/api/choreography/generate/",
        json={"song_id": song["id"], "difficulty": "advanced", "energy_level": "high"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["video_url"].startswith(base + "/media/videos/")
    video = httpx.get(body["video_url"])
    assert video.status_code == 200
    path = tmp_path / "video.mp4"
    path.write_bytes(video.content)
    info = streams(path)
    assert (info["video"]["codec_name"], info["audio"]["codec_name"]) == ("h264", "aac")
    assert float(info["video"]["duration"]) == pytest.approx(song["duration_seconds"], abs=1 / 30)
    assert decode_errors(path) == ""
    ranged = httpx.get(body["video_url"], headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206
    assert ranged.content == video.content[:100]


def test_bad_requests_over_the_socket(server):
    """No token → 401; unknown song → 404; both in the error JSON shape."""
    base, token, *_ = server
    url = f"{base}/api/choreography/generate/"
    anonymous = httpx.post(url, json={"song_id": 1})
    assert anonymous.status_code == 401
    assert set(anonymous.json()) == {"error", "details", "stage"}
    missing = httpx.post(
        url, json={"song_id": 424242}, headers={"Authorization": f"Bearer {token}"}
    )
    assert missing.status_code == 404


def task_rows(data_dir: Path, env: dict[str, str]) -> list[tuple[str, str, int]]:
    """(status, stage, progress) of every task, read straight from the server's database."""
    query = "SELECT status, stage, progress FROM choreography_choreographytask"
    url = env.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute(query).fetchall()
    import sqlite3

    with sqlite3.connect(data_dir / "choreo.sqlite3") as conn:
        return conn.execute(query).fetchall()


def test_eight_simultaneous_generations_on_two_workers_all_succeed(server):
    """8 concurrent requests over 2 workers: all 200, every task row completed at 100."""
    import asyncio

    base, token, data_dir, env = server
    songs = httpx.get(f"{base}/api/songs/", timeout=SLOW_S).json()["items"]
    before = len(task_rows(data_dir, env))

    async def one(client: httpx.AsyncClient, i: int) -> httpx.Response:
        return await client.post(
            f"{base}/api/choreography/generate/",
            json={"song_id": songs[i % len(songs)]["id"], "seed": i},
            headers={"Authorization": f"Bearer {token}"},
        )

    async def all_of_them() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=300) as client:
            return await asyncio.gather(*(one(client, i) for i in range(8)))

    responses = asyncio.run(all_of_them())
    assert [r.status_code for r in responses] == [200] * 8, [r.text for r in responses]
    assert len({r.json()["task_id"] for r in responses}) == 8
    rows = task_rows(data_dir, env)
    assert len(rows) == before + 8
    assert all(row == ("completed", "completed", 100) for row in rows)
