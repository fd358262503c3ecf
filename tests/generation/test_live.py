"""The generate request as a long request, against a real uvicorn over real sockets.

Streaming, disconnects, shutdown and load are about sockets and processes, so these tests run
``manage.py serve`` and talk to it over 127.0.0.1. Generations that must still be running when
the test acts use the 30-minute song (id 3): a real long timeline keeps FFmpeg busy for seconds.
Tests act once an FFmpeg child of the server is seen, whichever stage runs it.
"""

from __future__ import annotations

import asyncio
import json
import signal

import httpx
import pytest

from tests.helpers import child_ffmpeg_pids
from tests.live import (
    RawRequest,
    child_pids,
    copy_data_dir,
    dechunk,
    parse_sse,
    start_server,
    wait_for,
)

SHORT_SONG, LONG_SONG = 1, 3
ASSEMBLY_STAGES = {"fetching", "concatenating", "adding_audio", "uploading"}
STAGE_ORDER = [
    "queued",
    "planning",
    "fetching",
    "concatenating",
    "adding_audio",
    "uploading",
    "cleanup",
    "completed",
]
STOP_BOUND_S = 5.0
"""Generous bound for "stops within a second": other test runs share these two cores."""


@pytest.fixture(scope="module")
def live(long_template, tmp_path_factory):
    data_dir = copy_data_dir(long_template, tmp_path_factory.mktemp("live") / "data")
    server = start_server(data_dir, CHOREO_SSE_KEEPALIVE_S="1")
    yield server
    server.stop()


def generate_url(server) -> str:
    return f"{server.base}/api/choreography/generate/"


def wait_until_idle(server, timeout: float = 15) -> None:
    """The gate has no generation left (every ticket released) and no FFmpeg child runs."""

    def idle():
        stats = httpx.get(f"{server.base}/health/", timeout=5).json()["generations"]
        return stats["running"] == 0 and stats["waiting"] == 0 and not child_ffmpeg_pids(server.pid)

    wait_for(idle, timeout=timeout, interval=0.1, what="an idle server")


def assert_stopped(server, task_id: str, pids: set[int], *, error: str) -> float:
    """FFmpeg reaped (no child of the server left with those pids, not even a zombie), no temp
    dir, the row failed with a stage and ``error``; returns how long that took to become true."""

    def stopped():
        row = server.task_row(task_id)
        return (
            not (pids & child_pids(server.pid))
            and server.work_dirs() == []
            and row["status"] == "failed"
        )

    _, seconds = wait_for(stopped, timeout=STOP_BOUND_S, what="the work to stop")
    row = server.task_row(task_id)
    assert row["error"] == error
    assert row["stage"] in {"queued", "planning", *ASSEMBLY_STAGES}
    return seconds


def test_sse_streams_ordered_progress_and_exactly_one_completed_event(live):
    """Accept: text/event-stream → 200 at once; progress events in stage order with monotonic
    progress, all for one task; then one completed event equal in shape to the plain answer."""
    with httpx.stream(
        "POST",
        generate_url(live),
        json={"song_id": LONG_SONG, "seed": 7},
        headers={**live.auth("alice"), "Accept": "text/event-stream"},
        timeout=120,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        events = [e for e in parse_sse(response.iter_lines()) if e.name != "comment"]

    progress = [e.data for e in events if e.name == "progress"]
    terminal = [e for e in events if e.name in ("completed", "error")]
    assert [e.name for e in terminal] == ["completed"]
    assert events[-1].name == "completed"
    assert {p["task_id"] for p in progress} == {terminal[0].data["task_id"]}
    values = [p["progress"] for p in progress]
    assert values == sorted(values)
    assert values[0] == 0 and values[-1] == 100
    stages = list(dict.fromkeys(p["stage"] for p in progress))
    assert stages == STAGE_ORDER
    assert len(progress) > len(STAGE_ORDER), "in-stage FFmpeg progress steps are streamed too"
    completed = terminal[0].data
    assert completed["status"] == "completed"
    assert completed["duration_seconds"] == pytest.approx(1800, abs=2)
    video = httpx.get(completed["video_url"], headers={"Range": "bytes=0-99"})
    assert video.status_code == 206
    assert live.task_row(completed["task_id"])["status"] == "completed"


def test_errors_before_the_work_starts_keep_their_status_with_sse(live):
    """An unknown song with Accept: text/event-stream is a plain 404 error JSON, not a stream."""
    response = httpx.post(
        generate_url(live),
        json={"song_id": 999},
        headers={**live.auth("alice"), "Accept": "text/event-stream"},
    )
    assert response.status_code == 404
    assert response.json() == {
        "error": "song 999 does not exist",
        "details": None,
        "stage": "lookup",
    }


@pytest.mark.parametrize("sse", [False, True], ids=["plain", "sse"])
def test_closing_the_socket_mid_generation_stops_the_work(live, sse):
    """Client hangs up while FFmpeg runs → FFmpeg killed and reaped, temp dir removed, task row
    failed with its stage and "client disconnected"; the admission place is given back."""
    request = RawRequest(live, {"song_id": LONG_SONG}, user="bob", sse=sse)
    if sse:
        request.read_until(b"event: progress")
    pids, _ = wait_for(lambda: set(child_ffmpeg_pids(live.pid)), timeout=60, what="FFmpeg")
    task_id = live.task_rows()[0]["id"]
    assert live.task_rows()[0]["status"] == "running"
    request.close()
    seconds = assert_stopped(live, task_id, pids, error="client disconnected")
    print(f"{'sse' if sse else 'plain'} disconnect: work stopped {seconds:.3f} s after close")
    wait_until_idle(live)


def test_per_user_cap_is_429_with_retry_after(live):
    """A user with CHOREO_MAX_PER_USER (2) generations in flight gets 429 for a third."""
    streams = [RawRequest(live, {"song_id": LONG_SONG}, user="carol", sse=True) for _ in range(2)]
    try:
        for stream in streams:
            stream.read_until(b"event: progress")
        third = httpx.post(
            generate_url(live), json={"song_id": SHORT_SONG}, headers=live.auth("carol")
        )
        assert third.status_code == 429
        assert int(third.headers["Retry-After"]) >= 1
        assert third.json()["stage"] == "admission"
        assert "CHOREO_MAX_PER_USER" in third.json()["details"]
        other = RawRequest(live, {"song_id": SHORT_SONG}, user="dave", sse=True)
        streams.append(other)
        assert other.read_until(b"event: progress").startswith(b"HTTP/1.1 200"), "per user"
    finally:
        for stream in streams:
            stream.close()
    wait_until_idle(live)


@pytest.fixture
def busy(long_template, tmp_path):
    """A server with 2 generations in flight at most and 2 places in the wait queue."""
    data_dir = copy_data_dir(long_template, tmp_path / "data")
    server = start_server(data_dir, CHOREO_MAX_CONCURRENT_ASSEMBLIES="2", CHOREO_QUEUE_SIZE="2")
    yield server
    server.stop()


async def test_requests_past_cap_and_queue_get_503_with_retry_after_at_once(busy):
    """10 parallel requests (5 users x 2) over a cap of 2 + queue 2: at least 4 admitted, the
    excess refused at once with 503 + Retry-After + error JSON, no other 5xx; closing the
    admitted streams gives every place back."""
    users = ["alice", "bob", "carol", "dave", "erin"] * 2
    answered = asyncio.Barrier(len(users) + 1)
    results: list[tuple[int, dict, dict]] = []

    async def one(client: httpx.AsyncClient, user: str) -> None:
        async with client.stream(
            "POST",
            generate_url(busy),
            json={"song_id": LONG_SONG},
            headers={**busy.auth(user), "Accept": "text/event-stream"},
        ) as response:
            if response.status_code == 200:
                lines = response.aiter_lines()
                while (await anext(lines)) != "":  # the first event, then hold the stream open
                    pass
                results.append((200, dict(response.headers), {}))
            else:
                body = json.loads(await response.aread())
                results.append((response.status_code, dict(response.headers), body))
            await answered.wait()  # hang up only when all 10 have their answer

    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=20)) as client:
        tasks = [asyncio.create_task(one(client, user)) for user in users]
        await asyncio.wait_for(answered.wait(), 60)
        await asyncio.gather(*tasks)

    statuses = sorted(status for status, _, _ in results)
    print("statuses:", statuses)
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.count(200) >= 4
    assert statuses.count(503) >= 1
    for status, headers, body in results:
        if status == 503:
            assert int(headers["retry-after"]) >= 1
            assert set(body) == {"error", "details", "stage"}
            assert body["stage"] == "admission"
    await asyncio.to_thread(wait_until_idle, busy)
    rows = busy.task_rows()
    assert len(rows) == statuses.count(200)
    assert {row["error"] for row in rows} <= {"client disconnected", ""}


def test_sigterm_stops_in_flight_generations_and_answers_them(long_template, tmp_path):
    """SIGTERM: the plain request gets 503 JSON, the stream an error event; FFmpeg reaped, temp
    dirs removed, rows failed with "server shutting down"; the server exits promptly."""
    server = start_server(copy_data_dir(long_template, tmp_path / "data"))
    try:
        stream = RawRequest(server, {"song_id": LONG_SONG}, user="alice", sse=True)
        plain = RawRequest(server, {"song_id": LONG_SONG}, user="bob")
        stream.read_until(b"event: progress")

        def both_running_and_ffmpeg():
            rows = server.task_rows()
            running = len(rows) == 2 and all(r["status"] == "running" for r in rows)
            return running and set(child_ffmpeg_pids(server.pid))

        pids, _ = wait_for(
            both_running_and_ffmpeg, timeout=60, what="two generations, FFmpeg running"
        )
        server.proc.send_signal(signal.SIGTERM)

        plain_raw = plain.read_all()
        head, _, body = plain_raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503"), head
        assert b"retry-after: " in head.lower()
        error = json.loads(body)
        assert error["error"].startswith("the server is shutting down")
        assert error["stage"] in ASSEMBLY_STAGES | {"queued", "planning"}

        events = list(parse_sse(dechunk(stream.read_all()).decode().split("\n")))
        named = [e for e in events if e.name != "comment"]
        assert named[-1].name == "error"
        assert [e.name for e in named].count("error") == 1
        assert named[-1].data["error"].startswith("the server is shutting down")

        # uvicorn re-raises the SIGTERM it handled once shut down: dying by it is a clean exit.
        assert server.proc.wait(timeout=30) in (0, -signal.SIGTERM)
        stream.close()
        plain.close()
        assert not (pids & child_pids(server.pid))
        assert server.work_dirs() == []
        rows = server.task_rows()
        assert [(r["status"], r["error"]) for r in rows] == [("failed", "server shutting down")] * 2
        assert all(r["stage"] in ASSEMBLY_STAGES | {"queued", "planning"} for r in rows)
    finally:
        server.stop(signal.SIGKILL)


def test_oversized_bodies_are_refused_at_the_door(live):
    """Declared or chunked, a body over CHOREO_MAX_BODY_BYTES (64 KiB) is 413 error JSON; a
    small chunked body still reaches the view intact."""
    url, headers = generate_url(live), {**live.auth("alice"), "Content-Type": "application/json"}
    big = b'{"song_id": 1, "style": "' + b"x" * 70_000 + b'"}'
    declared = httpx.post(url, content=big, headers=headers)
    assert declared.status_code == 413
    assert declared.json()["error"] == "request body too large"

    def chunks(data: bytes, size: int = 8192):
        for start in range(0, len(data), size):
            yield data[start : start + size]

    chunked = httpx.post(url, content=chunks(big), headers=headers)
    assert chunked.status_code == 413
    assert "CHOREO_MAX_BODY_BYTES" in chunked.json()["details"]
    small = httpx.post(url, content=chunks(b'{"song_id": 999}', 5), headers=headers)
    assert small.status_code == 404
    assert small.json()["error"] == "song 999 does not exist"


def test_health_is_answered_before_django_with_generation_counts(live):
    """GET/HEAD /health/ come from the ASGI fast path: JSON with FFmpeg and the gate's counts."""
    response = httpx.get(f"{live.base}/health/")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["ffmpeg"].startswith("ffmpeg version")
    assert set(body["generations"]) == {"running", "waiting", "slots", "queue_size"}
    head = httpx.head(f"{live.base}/health/")
    assert head.status_code == 200 and head.content == b""
    assert httpx.post(f"{live.base}/health/").status_code == 405
