"""The generate API with STORAGE_BACKEND=s3 against real SeaweedFS servers, faults included."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from choreography.accounts.tokens import issue_token
from choreography.models import ChoreographyTask, MoveVariant, TaskStatus
from tests.clients import TokenClient, generate
from tests.conftest import s3_config_update
from tests.helpers import decode_errors, streams
from tests.s3server import SeaweedServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def client(transactional_db):
    return TokenClient(await issue_token("alice"))


@pytest.fixture
async def own_server(reconfigure, s3_server, tmp_path):
    """A SeaweedFS server of this test's own, which the test may stop; the app is pointed at it.

    Request it before ``library`` so the library is imported into its bucket.
    """
    server = SeaweedServer(tmp_path / "weed")
    await asyncio.to_thread(server.start)
    await reconfigure(**s3_config_update(server))
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop, kill=True)


async def test_generate_on_s3_returns_a_presigned_url_to_a_playable_video(
    client, s3_backend, library, s3_server, tmp_path, caplog
):
    """200 with a presigned video_url: the bucket serves it (whole and by range), ffprobe
    accepts it, it covers the song, the library media live in the bucket too, and the fetch
    and upload stages are timed in the log."""
    song, moves = library
    caplog.set_level(logging.INFO, logger="assembly.service")
    response = await generate(client, library, difficulty="advanced", energy_level="high")
    assert response.status_code == 200, response.content
    body = response.json()
    prefix = s3_backend.settings.key_prefix
    assert body["video_url"].startswith(
        f"{s3_server.endpoint_url}/{s3_server.bucket}/{prefix}videos/{body['task_id']}.mp4?"
    )
    assert "X-Amz-Signature=" in body["video_url"]
    async with httpx.AsyncClient() as http:
        video = await http.get(body["video_url"])
        ranged = await http.get(body["video_url"], headers={"Range": "bytes=0-99"})
    assert video.status_code == 200
    assert video.headers["Content-Type"] == "video/mp4"
    assert (ranged.status_code, ranged.content) == (206, video.content[:100])
    path = tmp_path / "video.mp4"
    path.write_bytes(video.content)
    info = streams(path)
    assert (info["video"]["codec_name"], info["audio"]["codec_name"]) == ("h264", "aac")
    assert float(info["video"]["duration"]) == pytest.approx(song.duration_seconds, abs=1 / 30)
    assert decode_errors(path) == ""
    task = await ChoreographyTask.objects.aget(pk=body["task_id"])
    assert (task.status, task.progress) == (TaskStatus.COMPLETED, 100)
    assert set(body["stage_seconds"]) >= {"fetching", "uploading"}
    stored = await s3_backend.list("library/")
    # Plus any tempo variant the plan needed (rendered on demand, stored beside the clips).
    variants = {v.stream_key async for v in MoveVariant.objects.all()}
    assert sorted(stored) == sorted(
        {song.audio_key, song.original_key}
        | {key for m in moves for key in (m.clip_key, m.stream_key, m.poster_key, m.original_key)}
        | variants
    )
    messages = [r.getMessage() for r in caplog.records if r.name == "assembly.service"]
    assert any(m.startswith("fetched ") and " from s3 storage (" in m for m in messages), messages
    assert any(
        m.startswith(f"uploaded videos/{body['task_id']}.mp4 to s3 storage: ") for m in messages
    )


async def test_fetches_are_concurrent_and_bounded(
    client, s3_backend, library, reconfigure, runtimes
):
    """Inputs download in parallel, never more at once than CHOREO_MAX_CONCURRENT_FETCHES."""
    await reconfigure(**{"max_concurrent_fetches": 2})
    raw = await runtimes.current.storage.raw_client()
    in_flight, peak, fetched = 0, 0, []

    def before(**kwargs) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)

    def after(**kwargs) -> None:
        nonlocal in_flight
        in_flight -= 1
        fetched.append(kwargs)

    raw.meta.events.register("before-send.s3.GetObject", before)
    raw.meta.events.register("after-call.s3.GetObject", after)
    try:
        response = await generate(client, library, seed=7)
    finally:
        raw.meta.events.unregister("before-send.s3.GetObject", before)
        raw.meta.events.unregister("after-call.s3.GetObject", after)
    assert response.status_code == 200, response.content
    assert len(fetched) >= 3
    assert peak == 2


async def test_missing_input_object_is_404_naming_the_key(client, s3_backend, library):
    """An input gone from the bucket → 404 at stage fetching naming the key; task failed."""
    song, _ = library
    await s3_backend.delete(song.audio_key)
    response = await generate(client, library)
    assert response.status_code == 404, response.content
    body = response.json()
    assert body["stage"] == "fetching"
    assert body["error"] == f"source file not found: {song.audio_key}"
    assert song.audio_key in body["details"]
    task = await ChoreographyTask.objects.aget()
    assert (task.status, task.stage) == (TaskStatus.FAILED, "fetching")


async def test_server_down_while_fetching_fails_the_task_at_fetching(client, own_server, library):
    """The S3 server dies before the inputs are fetched: 500 at stage fetching, task failed."""
    await asyncio.to_thread(own_server.stop, kill=True)
    response = await generate(client, library)
    assert response.status_code == 500, response.content
    body = response.json()
    assert body["stage"] == "fetching"
    assert body["error"].startswith("could not fetch source file library/")
    assert (
        f'cannot connect to the endpoint: Could not connect to the endpoint URL: "{own_server.endpoint_url}'
        in body["details"]
    )
    task = await ChoreographyTask.objects.aget()
    assert (task.status, task.stage) == (TaskStatus.FAILED, "fetching")
    assert task.error == body["error"]


async def test_server_down_while_uploading_fails_the_task_and_stores_nothing(
    client, own_server, library, runtimes
):
    """The server dies as the video upload starts: 500 at stage uploading, task failed, and
    once the server is back the bucket holds no video."""
    raw = await runtimes.current.storage.raw_client()

    async def crash_server(**kwargs) -> None:
        await asyncio.to_thread(own_server.stop, kill=True)

    raw.meta.events.register("before-send.s3.PutObject", crash_server)
    try:
        response = await generate(client, library)
    finally:
        raw.meta.events.unregister("before-send.s3.PutObject", crash_server)
    assert response.status_code == 500, response.content
    body = response.json()
    assert body["stage"] == "uploading"
    assert body["error"].startswith("upload of the video to 'videos/")
    assert own_server.endpoint_url in body["details"]
    task = await ChoreographyTask.objects.aget()
    assert (task.status, task.stage) == (TaskStatus.FAILED, "uploading")
    await asyncio.to_thread(own_server.start)
    assert await runtimes.current.storage.list("videos/") == []
