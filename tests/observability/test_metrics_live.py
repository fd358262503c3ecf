"""/metrics on a real ``serve --workers 2``: one scrape, served by either worker, counts the
requests both workers answered; a non-staff caller is refused; a worker that stops takes its
live gauges with it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.live import copy_data_dir, run_in_server_env, start_server

BURST = 20
MAX_BURSTS = 10
ROUTE = {"method": "GET", "route": "/api/choreography/videos/", "status": "401"}
MAKE_STAFF = """
import sys
import django
django.setup()
from django.contrib.auth import get_user_model
assert get_user_model().objects.filter(username=sys.argv[1]).update(is_staff=True) == 1
"""


def answered(samples, name: str = "choreo_http_requests_total") -> float:
    """The sum of the ``ROUTE`` requests among ``samples``."""
    return sum(
        s.value
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in ROUTE.items())
    )


async def burst(base: str) -> list[int]:
    """BURST unauthenticated GETs at once, each on a connection of its own (a new connection
    may land on either worker; a kept one would stay with the first)."""
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        replies = await asyncio.gather(
            *(http.get("/api/choreography/videos/") for _ in range(BURST))
        )
    return [reply.status_code for reply in replies]


def per_worker(directory: Path) -> dict[int, float]:
    """{worker pid: the ROUTE requests it counted}, read from its own file."""
    return {
        int(path.stem.rpartition("_")[2]): answered(
            sample
            for metric in MultiProcessCollector.merge([str(path)])
            for sample in metric.samples
        )
        for path in directory.glob("counter_*.db")
    }


def test_a_scrape_counts_both_workers_and_refuses_a_non_staff_caller(live_template, tmp_path):
    """Requests over fresh connections until both workers have served some (each worker's own
    file says how many it counted); the staff scrape reports every one of them, and a
    generation's stages and FFmpeg run; bob and an anonymous caller get 403; after shutdown no
    live gauge of a worker is left."""
    data_dir = copy_data_dir(live_template, tmp_path / "data")
    run_in_server_env(data_dir, MAKE_STAFF, "erin")
    server = start_server(data_dir, workers=2)
    try:
        sent = 0
        while sent < BURST * MAX_BURSTS:
            assert asyncio.run(burst(server.base)) == [401] * BURST
            sent += BURST
            shares = per_worker(data_dir / "metrics")
            if len([count for count in shares.values() if count > 0]) == 2:
                break
        assert len([count for count in shares.values() if count > 0]) == 2, shares
        assert sum(shares.values()) == sent
        made = httpx.post(
            f"{server.base}/api/choreography/generate/",
            json={"song_id": 1, "seed": 1},
            headers=server.auth("alice"),
            timeout=120,
        )
        assert made.status_code == 200, made.text
        scrape = httpx.get(f"{server.base}/metrics", headers=server.auth("erin"), timeout=30)
        assert scrape.status_code == 200, scrape.text
        samples = [
            sample
            for family in text_string_to_metric_families(scrape.text)
            for sample in family.samples
        ]
        assert answered(samples) == sent
        value = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in samples}
        # The generation, in whichever worker ran it: its stages, its FFmpeg (the lifespan's
        # observer) and, summed over the live workers, nothing left running.
        assert (
            value["choreo_generation_stage_duration_seconds_count", (("stage", "fetching"),)] == 1
        )
        assert value["choreo_ffmpeg_exits_total", (("cause", "ok"), ("stage", "adding_audio"))] == 1
        assert value["choreo_generations_running", ()] == 0
        assert value["choreo_ffmpeg_processes_running", ()] == 0
        assert {s.labels["kind"] for s in samples if s.name == "choreo_storage_bytes"} == {
            "videos",
            "clips",
            "variants",
        }
        for headers in (server.auth("bob"), {}):
            refused = httpx.get(f"{server.base}/metrics", headers=headers, timeout=30)
            assert refused.status_code == 403, refused.text
            assert refused.json()["stage"] == "metrics"
    finally:
        server.stop()
    assert sorted((data_dir / "metrics").glob("gauge_live*")) == []
