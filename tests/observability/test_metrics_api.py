"""/metrics in-process: who may read it, and that requests, generations, refusals, FFmpeg and
variants move the numbers it shows (single-process registry: tests run in one process)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import AsyncClient
from prometheus_client.parser import text_string_to_metric_families

from assembly import observe_processes
from choreography.models import ChoreographyTask, Move, MoveVariant, Song
from choreography.observability.metrics import REGISTRY, FFmpegMetrics
from tests.clients import ERROR_KEYS, Client, TokenClient, generate_ok, staff_client
from tests.conftest import row_fields

pytestmark = pytest.mark.django_db(transaction=True)

ABOVE_ANY_DISK_MB = 10_000_000
ASSEMBLY_STAGES = ("fetching", "concatenating", "adding_audio", "uploading", "cleanup")


def value(name: str, **labels: str) -> float:
    """A sample's value in the app's registry (0 when it was never set)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(body: bytes) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a /metrics answer."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def assert_refused(response) -> None:
    assert response.status_code == 403, response.content
    assert set(response.json()) == ERROR_KEYS
    assert response.json()["stage"] == "metrics"


async def test_staff_read_the_metrics_by_token_and_by_session():
    """A staff user's API token, and a staff session, get the Prometheus text format."""
    by_token = await (await staff_client()).get("/metrics")
    assert by_token.status_code == 200, by_token.content
    assert by_token["Content-Type"].startswith("text/plain; version=")
    names = {name for name, _ in scraped(by_token.content)}
    assert {"choreo_generations_running", "choreo_storage_bytes"} <= names
    session = AsyncClient()
    await session.aforce_login(await get_user_model().objects.aget(username="boss"))
    assert (await session.get("/metrics")).status_code == 200


async def test_anyone_else_is_refused_with_the_error_json(alice):
    """Anonymous, a signed-in non-staff user, a bad token and a non-staff session: 403."""
    assert_refused(await AsyncClient().get("/metrics"))
    assert_refused(await alice.get("/metrics"))
    assert_refused(await TokenClient("not-a-token").get("/metrics"))
    session = AsyncClient()
    await session.aforce_login(await get_user_model().objects.acreate(username="dancer"))
    assert_refused(await session.get("/metrics"))
    assert (await (await staff_client()).post("/metrics")).status_code == 405


async def test_an_allowed_address_reads_without_credentials(reconfigure):
    """A client in CHOREO_METRICS_ALLOW needs no sign-in; one outside it does."""
    await reconfigure(metrics_allow="10.0.0.0/8,192.0.2.7")
    assert (await Client(ip="10.20.30.40").get("/metrics")).status_code == 200
    assert (await Client(ip="192.0.2.7").get("/metrics")).status_code == 200
    assert_refused(await Client(ip="192.0.2.8").get("/metrics"))


async def test_a_forwarded_for_counts_only_from_a_trusted_proxy(reconfigure):
    """X-Forwarded-For naming an allowed address does not pass from an untrusted peer; from a
    CHOREO_TRUSTED_PROXIES peer it names the client."""
    await reconfigure(metrics_allow="10.0.0.0/8")
    spoofed = {"X-Forwarded-For": "10.1.2.3"}
    assert_refused(await Client(ip="192.0.2.9").get("/metrics", headers=spoofed))
    await reconfigure(metrics_allow="10.0.0.0/8", trusted_proxies="192.0.2.9")
    assert (await Client(ip="192.0.2.9").get("/metrics", headers=spoofed)).status_code == 200
    proxied = {"X-Forwarded-For": "203.0.113.5"}
    assert_refused(await Client(ip="192.0.2.9").get("/metrics", headers=proxied))


async def test_requests_count_under_their_route_pattern_never_their_path(alice):
    """Two different video ids count under one route (and its latency); an unknown path under
    <unmatched>."""
    route = "/api/choreography/videos/<task_id>/"
    labels = {"method": "GET", "route": route, "status": "404"}
    before = value("choreo_http_requests_total", **labels)
    latency = value("choreo_http_request_duration_seconds_count", method="GET", route=route)
    unmatched = value("choreo_http_requests_total", method="GET", route="<unmatched>", status="404")
    for _ in range(2):
        assert (await alice.get(f"/api/choreography/videos/{uuid.uuid4()}/")).status_code == 404
    assert (await alice.get(f"/no-such-page-{uuid.uuid4()}")).status_code == 404
    assert value("choreo_http_requests_total", **labels) == before + 2
    assert value("choreo_http_request_duration_seconds_count", method="GET", route=route) == (
        latency + 2
    )
    assert value("choreo_http_requests_total", method="GET", route="<unmatched>", status="404") == (
        unmatched + 1
    )
    body = (await (await staff_client()).get("/metrics")).content.decode()
    assert "/api/choreography/videos/<task_id>/" in body
    assert "/no-such-page" not in body


async def test_a_generate_moves_the_stage_histograms_and_counters(alice, library, runtime):
    """A generate on a song nobody warmed: every stage it went through is observed once,
    re-timing in a request is counted with its renders and misses, FFmpeg's exits are counted
    and nothing is left running; the repeat finds the variants (hits). /metrics then reports
    the stored bytes the database holds."""
    song, _ = library
    unwarmed = await Song.objects.acreate(
        **{**row_fields(song), "bpm": 118.0, "content_hash": "unwarmed", "title": "Unwarmed"}
    )
    stages = ("queued", "planning", "retiming", *ASSEMBLY_STAGES)
    counts = {s: value("choreo_generation_stage_duration_seconds_count", stage=s) for s in stages}
    retimed = value("choreo_retiming_in_requests_total")
    renders = value("choreo_variant_renders_total")
    misses = value("choreo_variant_lookups_total", origin="request", result="miss")
    hits = value("choreo_variant_lookups_total", origin="request", result="hit")
    muxed = value("choreo_ffmpeg_exits_total", stage="adding_audio", cause="ok")
    with observe_processes(FFmpegMetrics()):
        first = await generate_ok(alice, unwarmed, difficulty="beginner", seed=1)
        second = await generate_ok(alice, unwarmed, difficulty="beginner", seed=1)
    rendered = await MoveVariant.objects.acount()
    assert rendered > 0
    for stage in stages:
        expected = counts[stage] + (1 if stage == "retiming" else 2)
        assert value("choreo_generation_stage_duration_seconds_count", stage=stage) == expected
    assert value("choreo_retiming_in_requests_total") == retimed + 1
    assert value("choreo_variant_renders_total") == renders + rendered
    assert value("choreo_variant_lookups_total", origin="request", result="miss") == (
        misses + rendered
    )
    assert value("choreo_variant_lookups_total", origin="request", result="hit") == hits + rendered
    assert value("choreo_ffmpeg_exits_total", stage="adding_audio", cause="ok") == muxed + 2
    assert value("choreo_ffmpeg_processes_running") == 0
    assert value("choreo_generations_running") == value("choreo_generations_queued") == 0

    metrics = scraped((await (await staff_client()).get("/metrics")).content)
    sizes = [
        t.result["size_bytes"]
        async for t in ChoreographyTask.objects.filter(pk__in=[first["task_id"], second["task_id"]])
    ]
    assert metrics["choreo_storage_bytes", (("kind", "videos"),)] == sum(sizes) > 0
    clips = sum([m.frame_offsets[-1] async for m in Move.objects.all()])
    assert metrics["choreo_storage_bytes", (("kind", "clips"),)] == clips > 0
    variants = sum([v.frame_offsets[-1] async for v in MoveVariant.objects.all()])
    assert metrics["choreo_storage_bytes", (("kind", "variants"),)] == variants > 0


async def test_refusals_and_failures_count_by_reason_and_stage(alice, library, reconfigure):
    """Below the disk floor: disk_full; every slot and place taken: queue_full; a wait for a
    slot that runs out: queue_timeout, and a generation failed in stage queued."""
    song, _ = library

    def refused(reason: str) -> float:
        return value("choreo_admission_refusals_total", reason=reason)

    before = {r: refused(r) for r in ("disk_full", "queue_full", "queue_timeout")}
    failed = value("choreo_generation_errors_total", stage="queued", error="ServerBusyError")
    body = {"song_id": song.id, "difficulty": "beginner"}
    runtime = await reconfigure(min_free_disk_mb=ABOVE_ANY_DISK_MB)
    response = await alice.post(
        "/api/choreography/generate/", body, content_type="application/json"
    )
    assert response.status_code == 507
    assert refused("disk_full") == before["disk_full"] + 1

    runtime = await reconfigure(
        min_free_disk_mb=0, max_concurrent_assemblies=1, queue_size=1, queue_timeout_s=0.2
    )
    holder, release = runtime.gate.reserve(), asyncio.Event()

    async def hold() -> None:
        holder.bind()
        async with holder.slot():
            await release.wait()

    held = asyncio.create_task(hold())
    await asyncio.sleep(0)
    assert value("choreo_generations_running") == 1
    response = await alice.post(
        "/api/choreography/generate/", body, content_type="application/json"
    )
    assert response.status_code == 503 and response.json()["stage"] == "queued"
    assert refused("queue_timeout") == before["queue_timeout"] + 1
    assert value("choreo_generation_errors_total", stage="queued", error="ServerBusyError") == (
        failed + 1
    )
    waiting = runtime.gate.reserve()  # the one place in the queue: the next is refused at once
    response = await alice.post(
        "/api/choreography/generate/", body, content_type="application/json"
    )
    assert response.status_code == 503
    assert refused("queue_full") == before["queue_full"] + 1
    assert value("choreo_generations_queued") == 1
    waiting.release()
    release.set()
    await held
    assert value("choreo_generations_running") == value("choreo_generations_queued") == 0
