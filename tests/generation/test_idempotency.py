"""Idempotency-Key: a retried generate request gets the same task, never a second render."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest
from django.utils import timezone

from choreography.accounts.tokens import issue_token
from choreography.models import ChoreographyTask, TaskStatus
from tests.clients import TokenClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def client(transactional_db):
    return TokenClient(await issue_token("alice"))


def keyed(key: str, **headers) -> dict:
    return {"headers": {"Idempotency-Key": key, **headers}}


async def generate_with_key(client, library, key: str, **headers):
    song, _ = library
    return await client.post(
        "/api/choreography/generate/",
        {"song_id": song.id, "seed": 5},
        content_type="application/json",
        **keyed(key, **headers),
    )


async def test_a_retry_after_completion_answers_the_same_task_with_a_fresh_link(
    client, library, runtimes
):
    """The second request with the key renders nothing: same task id, same moves, one row."""
    first = await generate_with_key(client, library, "order-1")
    assert first.status_code == 200
    runtimes.current.clock = lambda: time.time() + 5  # a later link expires later
    again = await generate_with_key(client, library, "order-1")
    assert again.status_code == 200
    assert again.json()["task_id"] == first.json()["task_id"]
    assert again.json()["moves"] == first.json()["moves"]
    assert again.json()["video_url_expires_at"] > first.json()["video_url_expires_at"]
    assert await ChoreographyTask.objects.acount() == 1


async def test_concurrent_retries_follow_the_same_work(client, library):
    """Three requests with one key at once: one render, all three answer that task (plain and
    stream alike)."""
    plain = [generate_with_key(client, library, "same") for _ in range(2)]
    results = await asyncio.gather(*plain)
    streamed = await generate_with_key(client, library, "same", Accept="text/event-stream")
    body = b"".join([chunk async for chunk in streamed.streaming_content])
    task_ids = {r.json()["task_id"] for r in results}
    assert all(r.status_code == 200 for r in results)
    assert len(task_ids) == 1
    assert task_ids.pop().encode() in body and b"event: completed" in body
    assert await ChoreographyTask.objects.acount() == 1


async def test_different_keys_and_users_are_independent(client, library):
    """Another key renders anew."""
    one = await generate_with_key(client, library, "a")
    two = await generate_with_key(client, library, "b")
    assert one.json()["task_id"] != two.json()["task_id"]


async def test_a_key_whose_attempt_failed_may_be_used_again(client, library, reconfigure):
    """Nothing was made by a failed attempt: the same key renders on the retry."""
    await reconfigure(assembly_timeout_s=0.001)
    failed = await generate_with_key(client, library, "flaky")
    assert failed.status_code == 504
    await reconfigure(assembly_timeout_s=600)
    retried = await generate_with_key(client, library, "flaky")
    assert retried.status_code == 200
    assert await ChoreographyTask.objects.filter(status=TaskStatus.COMPLETED).acount() == 1


async def test_running_in_another_process_is_409_with_retry_after(client, library):
    """A live row with the key owned by another instance: 409, never a second render."""
    first = await generate_with_key(client, library, "elsewhere")
    await ChoreographyTask.objects.filter(pk=first.json()["task_id"]).aupdate(
        status=TaskStatus.RUNNING, owner="another-host-1-abcd", heartbeat_at=timezone.now()
    )
    again = await generate_with_key(client, library, "elsewhere")
    assert again.status_code == 409
    assert int(again["Retry-After"]) >= 1
    assert set(again.json()) == {"error", "details", "stage"}
    assert await ChoreographyTask.objects.acount() == 1


async def test_a_key_older_than_24_hours_starts_anew(client, library):
    first = await generate_with_key(client, library, "yesterday")
    await ChoreographyTask.objects.filter(pk=first.json()["task_id"]).aupdate(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    again = await generate_with_key(client, library, "yesterday")
    assert again.json()["task_id"] != first.json()["task_id"]


async def test_a_key_longer_than_200_characters_is_400(client, library, runtimes):
    response = await generate_with_key(client, library, "k" * 201)
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "Idempotency-Key"
    assert runtimes.current.gate.stats()["running"] == 0
