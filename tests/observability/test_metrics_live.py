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

REQUESTS = 60
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


async def anonymous_requests(base: str) -> list[int]:
    """REQUESTS unauthenticated GETs, 20 at a time, each on a connection of its own (a new
    connection may land on either worker; a kept one would stay with the first)."""
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        statuses = []
        for _ in range(REQUESTS // 20):
            replies = await asyncio.gather(
                *(http.get("/api/choreography/videos/") for _ in range(20))
            )
            statuses += [reply.status_code for reply in replies]
        return statuses


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
    """60 requests over fresh connections are served by both workers; the staff scrape
    reports all 60 (each worker's file holds its share); bob and an anonymous caller get
    403; after shutdown no live gauge of a worker is left."""
    data_dir = copy_data_dir(live_template, tmp_path / "data")
    run_in_server_env(data_dir, MAKE_STAFF, "erin")
    server = start_server(data_dir, workers=2)
    try:
        assert asyncio.run(anonymous_requests(server.base)) == [401] * REQUESTS
        scrape = httpx.get(f"{server.base}/metrics", headers=server.auth("erin"), timeout=30)
        assert scrape.status_code == 200, scrape.text
        samples = [
            sample
            for family in text_string_to_metric_families(scrape.text)
            for sample in family.samples
        ]
        assert answered(samples) == REQUESTS
        shares = per_worker(data_dir / "metrics")
        assert sum(shares.values()) == REQUESTS
        assert len([pid for pid, count in shares.items() if count > 0]) == 2, shares
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
