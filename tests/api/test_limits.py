"""Limits that hold across worker processes and machines: the per-user cap lives in the
database, so ``serve --workers 2`` (or two machines on one PostgreSQL) cannot exceed it."""

from __future__ import annotations

import threading

import httpx

from tests.helpers import child_ffmpeg_pids, children
from tests.live import start_server, wait_for

LONG_SONG = 3


def test_one_users_six_simultaneous_generations_on_two_workers_run_at_most_two(
    shared_data_dir, slow_ffmpeg
):
    """Six at once from one user across two workers: at most CHOREO_MAX_PER_USER (2) run,
    the others are 429 with Retry-After."""
    data_dir, env = shared_data_dir
    server = start_server(data_dir, workers=2, CHOREO_FFMPEG=slow_ffmpeg, **env)
    statuses: list[int] = []
    retry_after: list[str] = []

    def send() -> None:
        try:
            response = httpx.post(
                f"{server.base}/api/choreography/generate/",
                json={"song_id": LONG_SONG},
                headers=server.auth("alice"),
                timeout=8,
            )
        except httpx.TimeoutException:
            statuses.append(0)  # still running when the client gave up: it was admitted
            return
        statuses.append(response.status_code)
        retry_after.append(response.headers.get("retry-after", ""))

    threads = [threading.Thread(target=send) for _ in range(6)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        workers = {pid for pid, comm, _ in children(server.pid) if "python" in comm}
        assert len(workers) >= 2, "uvicorn workers serve (and multiprocessing's tracker)"
        assert statuses.count(429) == 4, statuses
        assert all(value.isdigit() and int(value) >= 1 for value in retry_after)
        running = [row for row in server.task_rows() if row["status"] == "running"]
        assert len(running) <= 2
    finally:
        server.stop()
    wait_for(lambda: not child_ffmpeg_pids(server.pid), timeout=10, what="no FFmpeg")
