"""The HTTP API in-process (Django's AsyncClient) with real FFmpeg and local storage."""

import asyncio
import os

import pytest
from django.test import AsyncClient

from choreography.accounts.tokens import issue_token
from choreography.models import ChoreographyTask, TaskStatus
from tests.clients import TokenClient, generate, media_path
from tests.helpers import child_ffmpeg_pids, decode_errors, streams

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def client(transactional_db):
    return TokenClient(await issue_token("alice"))


async def test_generate_returns_a_finished_video_covering_the_song(client, library):
    """200 with video_url: h264 + aac, the song's duration, the task row completed at 100."""
    song, _ = library
    response = await generate(client, library, difficulty="beginner", style="romantic")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "completed"
    assert body["video_url"].startswith("http://testserver/media/videos/")
    assert body["duration_seconds"] == pytest.approx(song.duration_seconds, abs=1 / 30)
    path = media_path(body["video_url"])
    info = streams(path)
    assert info["video"]["codec_name"] == "h264"
    assert info["audio"]["codec_name"] == "aac"
    assert int(info["video"]["nb_read_packets"]) == round(song.duration_seconds * 30)
    assert decode_errors(path) == ""
    assert body["moves"][0]["start_time"] == 0
    task = await ChoreographyTask.objects.aget(pk=body["task_id"])
    assert (task.status, task.stage, task.progress) == (TaskStatus.COMPLETED, "completed", 100)
    assert task.result["blueprint"]["task_id"] == body["task_id"]
    assert None not in task.result["blueprint"]["moves"][0].values()
    assert task.result["video_key"] == f"videos/{body['task_id']}.mp4"


async def test_video_url_supports_range_requests(client, library):
    """The video URL serves byte ranges (206) so a browser can seek."""
    body = (await generate(client, library)).json()
    url = body["video_url"].removeprefix("http://testserver")
    whole = await client.get(url)
    assert whole.status_code == 200
    assert whole["Accept-Ranges"] == "bytes"
    size = int(whole["Content-Length"])
    part = await client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 10-19/{size}"
    assert (
        b"".join([chunk async for chunk in part.streaming_content])
        == (media_path(body["video_url"]).read_bytes()[10:20])
    )
    beyond = await client.get(url, headers={"Range": f"bytes={size + 5}-"})
    assert beyond.status_code == 416


async def test_unknown_song_is_404(client, library):
    response = await generate(client, library, song_id=999)
    assert response.status_code == 404
    assert response.json() == {
        "error": "song 999 does not exist",
        "details": None,
        "stage": "lookup",
    }


async def test_bad_difficulty_is_400_listing_allowed_values(client, library):
    response = await generate(client, library, difficulty="expert")
    assert response.status_code == 400
    body = response.json()
    assert body["stage"] == "validation"
    assert "'beginner', 'intermediate' or 'advanced'" in body["error"]
    assert body["details"][0]["field"] == "difficulty"


async def test_repeats_are_allowed_only_when_asked_and_recorded(client, library):
    """``allow_repeats`` is a JSON boolean (default false); when true the task records it."""
    refused = await generate(client, library, allow_repeats="yes")
    assert refused.status_code == 400
    assert refused.json()["details"][0]["field"] == "allow_repeats"
    response = await generate(client, library, allow_repeats=True)
    assert response.status_code == 200, response.content
    task = await ChoreographyTask.objects.aget(pk=response.json()["task_id"])
    assert task.parameters["allow_repeats"] is True
    plain = await generate(client, library)
    task = await ChoreographyTask.objects.aget(pk=plain.json()["task_id"])
    assert "allow_repeats" not in task.parameters


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[1, 2]", b'{"song_id": "abc"}', b'{"song_id": 1, "colour": "red"}', b"{}"],
)
async def test_malformed_bodies_are_400(client, library, raw):
    """Bad JSON, wrong types, unknown fields and missing fields are 400, never 500."""
    response = await client.post(
        "/api/choreography/generate/", raw, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["stage"] == "validation"


async def test_missing_or_bad_token_is_401(library):
    anonymous = AsyncClient()
    response = await generate(anonymous, library)
    assert response.status_code == 401
    assert response.json()["stage"] == "authentication"
    assert response["WWW-Authenticate"].startswith("Bearer")
    wrong = TokenClient("chor_wrong")
    assert (await generate(wrong, library)).status_code == 401


async def test_timeout_is_504_with_stage_and_leaves_nothing_behind(
    client, library, runtime, reconfigure
):
    """A tiny budget → 504 naming the stage; the task is failed; no FFmpeg child, no temp dir."""
    await reconfigure(**{"assembly_timeout_s": 0.001})
    response = await generate(client, library)
    assert response.status_code == 504
    body = response.json()
    assert "timed out" in body["error"]
    assert body["stage"] in {"queued", "fetching", "concatenating", "adding_audio"}
    task = await ChoreographyTask.objects.aget()
    assert task.status == TaskStatus.FAILED
    assert task.stage == body["stage"]
    assert "timed out" in task.error
    assert child_ffmpeg_pids() == []
    assert list(runtime.work_root.parent.glob("*/*")) == []  # no temp dir in any instance dir


async def test_missing_ffmpeg_is_a_clear_error(client, library, monkeypatch):
    """With FFmpeg absent from PATH, generate and health answer 503 saying FFmpeg is required."""
    monkeypatch.setenv("PATH", "/nonexistent")
    response = await generate(client, library)
    assert response.status_code == 503
    assert "FFmpeg is required" in response.json()["error"]
    health = await client.get("/health/")
    assert health.status_code == 503
    assert "FFmpeg is required" in health.json()["error"]
    assert os.environ["PATH"] == "/nonexistent"


async def test_health_reports_ffmpeg_version(db):
    response = await AsyncClient().get("/health/")
    assert response.status_code == 200
    assert response.json()["ffmpeg"].startswith("ffmpeg version")


async def test_songs_are_listed(library):
    song, _ = library
    response = await AsyncClient().get("/api/songs/")
    assert response.status_code == 200
    page = response.json()
    assert (page["total"], page["page"], page["has_next"]) == (1, 1, False)
    (item,) = page["items"]
    del item["created_at"]
    assert item == {
        "id": song.id,
        "title": "Test Song",
        "artist": "Tester",
        "genre": "bachata",
        "duration_seconds": pytest.approx(6.5, abs=0.05),
        "bpm": 120.0,
    }


async def test_the_wait_for_a_slot_does_not_count_against_the_assembly_budget(
    client, library, reconfigure
):
    """With the only slot held for longer than CHOREO_ASSEMBLY_TIMEOUT_S, a queued request still
    completes: the budget starts when its assembly starts."""
    runtime = await reconfigure(max_concurrent_assemblies=1, assembly_timeout_s=3.0)
    blocker = runtime.gate.reserve()

    async def occupy() -> None:
        async with blocker.slot():
            await asyncio.sleep(4.0)

    occupying = asyncio.create_task(occupy())
    await asyncio.sleep(0)
    response = await generate(client, library)
    await occupying
    assert response.status_code == 200, response.content
    assert runtime.gate.stats()["running"] == 0
