"""Disk safety: quota reservations under parallel generations, the free-disk floor (507), and
scheduled pruning under a work lease (real FFmpeg, real database, in-process)."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from choreography.errors import QuotaExceededError
from choreography.generation import service
from choreography.generation.pruning import LEASE_NAME, Pruner, take_lease
from choreography.generation.reservations import MIB, estimate_bytes, reserved_bytes
from choreography.generation.service import admit, prepare_generation, run_generation
from choreography.library.formats import joinable
from choreography.models import ChoreographyTask, Move, TaskStatus, WorkLease
from tests.clients import (
    TokenClient,
    a_song,
    a_video,
    generate,
    staff_client,
    stored_videos,
    upload,
    user,
)
from tests.helpers import make_song

pytestmark = pytest.mark.django_db(transaction=True)

JSON = "application/json"


@pytest.fixture
async def alice(transactional_db):
    from choreography.accounts.tokens import issue_token

    return TokenClient(await issue_token("alice"))


async def estimate_for(song, runtimes) -> int:
    """What a generation of ``song`` reserves (the service's own estimate)."""
    current = runtimes.current
    moves = [m async for m in Move.objects.filter(joinable(current.video_format))]
    return estimate_bytes(
        duration_s=song.duration_seconds,
        moves=moves,
        video=current.video_format,
        audio=current.audio_format,
    )


async def stored_total(name: str) -> int:
    sizes = ChoreographyTask.objects.filter(
        user=await user(name), status=TaskStatus.COMPLETED
    ).values_list("result__size_bytes", flat=True)
    return sum([int(s or 0) async for s in sizes])


async def leave_room_for_one(name: str, song, tmp_path, *, quota_mb: int = 1, runtimes) -> int:
    """Fill the user's quota so that one generation of ``song`` fits and two do not."""
    estimate = await estimate_for(song, runtimes)
    room = estimate + estimate // 2
    assert room < quota_mb * MIB, "the test song's estimate must fit in the quota"
    await a_video(name, song, tmp_path, size=quota_mb * MIB - room, runtimes=runtimes)
    return estimate


# --- quota reservations ----------------------------------------------------------------------


async def test_parallel_generations_never_overshoot_the_quota(
    alice, library, reconfigure, tmp_path, runtimes
):
    """Three generations at once with room for one: one completes, two are 409 (quota), and
    the user's stored videos stay within CHOREO_USER_QUOTA_MB."""
    await reconfigure(user_quota_mb=1, max_per_user=5)
    song, _ = library
    await leave_room_for_one("alice", song, tmp_path, runtimes=runtimes)
    responses = await asyncio.gather(*(generate(alice, library, seed=i) for i in range(3)))
    assert await stored_total("alice") <= 1 * MIB
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409, 409], [r.content for r in responses]
    refused = next(r for r in responses if r.status_code == 409).json()
    assert refused["stage"] == "quota" and "needs about" in refused["error"]
    made = next(r for r in responses if r.status_code == 200).json()
    done = await ChoreographyTask.objects.aget(pk=made["task_id"])
    assert done.reserved_bytes == 0  # replaced by the real size
    assert done.result["size_bytes"] <= await estimate_for(song, runtimes)


async def test_the_estimate_is_an_upper_bound_of_the_real_size(alice, library, runtimes):
    """A real generation of the test song is no larger than what it reserved."""
    song, _ = library
    response = await generate(alice, library, seed=3)
    assert response.status_code == 200, response.content
    task = await ChoreographyTask.objects.aget(pk=response.json()["task_id"])
    assert 0 < task.result["size_bytes"] <= await estimate_for(song, runtimes)


async def test_claims_racing_in_threads_never_overshoot_the_quota(
    alice, library, reconfigure, tmp_path, runtimes
):
    """Four claims at once, each in its own thread and database connection (as in four server
    processes): the user's row lock lets exactly one reserve the room for one."""
    if connection.vendor == "sqlite":
        pytest.skip(
            "the SQLite test database lives in memory with a shared cache, which fails concurrent "
            "writers (table locked) instead of making them wait as the file database does"
        )
    await reconfigure(user_quota_mb=1, max_per_user=10)
    song, _ = library
    estimate = await leave_room_for_one("alice", song, tmp_path, runtimes=runtimes)
    owner = await user("alice")
    start = threading.Barrier(4)

    def claim() -> str:
        task = ChoreographyTask(
            id=uuid.uuid4(),
            user=owner,
            song=song,
            stage="queued",
            owner="racer",
            heartbeat_at=timezone.now(),
            reserved_bytes=estimate,
        )
        try:
            start.wait()
            service._claim_row.func(task, cap=10, lease_s=30.0, retry_after=1)
            return "claimed"
        except QuotaExceededError:
            return "quota"
        finally:
            connection.close()

    outcomes = await asyncio.gather(*(asyncio.to_thread(claim) for _ in range(4)))
    assert sorted(outcomes) == ["claimed", "quota", "quota", "quota"]


async def admitted(name: str, song, *, runtime, seed: int = 1):
    job = await prepare_generation(
        runtime=runtime,
        user=await user(name),
        song_id=song.pk,
        difficulty="beginner",
        energy_level="medium",
        style=None,
        seed=seed,
    )
    return job, await admit(job)


async def test_a_failed_generation_releases_its_reservation(
    alice, library, reconfigure, tmp_path, runtimes
):
    """While a generation runs its estimate is held (a second one does not fit); once it fails
    the reservation is gone and the next one is admitted."""
    await reconfigure(user_quota_mb=1, max_per_user=5)
    song, _ = library
    estimate = await leave_room_for_one("alice", song, tmp_path, runtimes=runtimes)
    job, admission = await admitted("alice", song, runtime=runtimes.current)
    owner = await user("alice")
    lease_s = runtimes.current.config.lease_s
    assert await reserved(owner.pk, lease_s) == estimate
    with pytest.raises(QuotaExceededError):
        await admitted("alice", song, seed=2, runtime=runtimes.current)
    await runtimes.current.storage.delete(song.audio_key)  # the assembly will fail
    with pytest.raises(Exception) as failed:
        await run_generation(job, admission)
    assert getattr(failed.value, "stage", "") != "quota"
    row = await ChoreographyTask.objects.aget(pk=admission.task.pk)
    assert row.status == TaskStatus.FAILED and row.reserved_bytes == 0
    assert await reserved(owner.pk, lease_s) == 0
    _, again = await admitted("alice", song, seed=3, runtime=runtimes.current)
    again.ticket.release()


@pytest.mark.parametrize("when", ["at its first step", "while it runs"])
async def test_a_cancelled_generation_releases_its_reservation(
    alice, library, reconfigure, tmp_path, when, runtimes
):
    """A client that goes away (the run cancelled at any point) leaves no reservation behind."""
    await reconfigure(user_quota_mb=1, max_per_user=5)
    song, _ = library
    await leave_room_for_one("alice", song, tmp_path, runtimes=runtimes)
    job, admission = await admitted("alice", song, runtime=runtimes.current)
    running = asyncio.create_task(run_generation(job, admission))
    await asyncio.sleep(0)  # started: a request's view is always awaiting it
    if when == "while it runs":
        for _ in range(200):  # until it is past the queue
            await asyncio.sleep(0.01)
            row = await ChoreographyTask.objects.aget(pk=admission.task.pk)
            if row.stage not in ("queued", ""):
                break
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    row = await ChoreographyTask.objects.aget(pk=admission.task.pk)
    assert row.status == TaskStatus.FAILED and row.reserved_bytes == 0
    owner = await user("alice")
    assert await reserved(owner.pk, runtimes.current.config.lease_s) == 0
    _, again = await admitted("alice", song, seed=3, runtime=runtimes.current)
    again.ticket.release()


async def reserved(user_id, lease_s: float) -> int:
    from asgiref.sync import sync_to_async

    return await sync_to_async(reserved_bytes)(user_id, lease_s=lease_s)


async def test_a_dead_processes_reservation_stops_counting_when_its_lease_expires(
    alice, library, reconfigure, tmp_path, runtimes
):
    """A running row whose owner stopped renewing its lease holds nothing (SIGKILL leaks none)."""
    await reconfigure(user_quota_mb=1, max_per_user=5)
    song, _ = library
    await leave_room_for_one("alice", song, tmp_path, runtimes=runtimes)
    _, first = await admitted("alice", song, runtime=runtimes.current)
    first.ticket.release()
    with pytest.raises(QuotaExceededError):
        await admitted("alice", song, seed=2, runtime=runtimes.current)
    stale = timezone.now() - dt.timedelta(hours=1)
    await ChoreographyTask.objects.filter(pk=first.task.pk).aupdate(heartbeat_at=stale)
    _, again = await admitted("alice", song, seed=3, runtime=runtimes.current)
    again.ticket.release()


# --- the disk floor --------------------------------------------------------------------------

ABOVE_ANY_DISK_MB = 10_000_000


async def test_generate_below_the_disk_floor_is_507(alice, library, reconfigure):
    """With CHOREO_MIN_FREE_DISK_MB above the real free space, generate answers 507 with a
    sentence, and no task row is made."""
    await reconfigure(min_free_disk_mb=ABOVE_ANY_DISK_MB)
    response = await generate(alice, library)
    assert response.status_code == 507, response.content
    body = response.json()
    assert set(body) == {"error", "details", "stage"} and body["stage"] == "storage"
    assert "running out of disk space" in body["error"] and "MB free" in body["error"]
    assert "CHOREO_MIN_FREE_DISK_MB" in body["details"]
    assert await ChoreographyTask.objects.acount() == 0


async def test_upload_below_the_disk_floor_is_507(transactional_db, reconfigure, tmp_path):
    """Staff song and move uploads answer 507 below the floor; nothing is imported."""
    staff = await staff_client()
    await reconfigure(min_free_disk_mb=ABOVE_ANY_DISK_MB)
    source = make_song(tmp_path / "upload.m4a", 1.0)
    for url in ("/api/songs/", "/api/moves/"):
        response = await upload(staff, url, source, title="Up", bpm="120")
        assert response.status_code == 507, response.content
        assert response.json()["stage"] == "storage"
    from choreography.models import Song

    assert await Song.objects.acount() == 0 and await Move.objects.acount() == 0


async def test_the_floor_at_zero_is_off(alice, library, reconfigure):
    """CHOREO_MIN_FREE_DISK_MB=0 never refuses."""
    await reconfigure(min_free_disk_mb=0)
    response = await generate(alice, library)
    assert response.status_code == 200, response.content


# --- scheduled pruning -----------------------------------------------------------------------


async def age(task, days: float) -> None:
    await ChoreographyTask.objects.filter(pk=task.pk).aupdate(
        created_at=timezone.now() - dt.timedelta(days=days)
    )


async def test_a_serving_process_prunes_old_unsaved_videos_on_its_own(
    transactional_db, reconfigure, tmp_path, runtimes
):
    """With the schedule on, a started runtime deletes an old unsaved video and its row without
    anyone running prune_videos; recent and running rows stay."""
    await get_user_model().objects.acreate(username="alice")
    song = await a_song()
    old = await a_video("alice", song, tmp_path, runtimes=runtimes)
    recent = await a_video("alice", song, tmp_path, runtimes=runtimes)
    old_running = await a_video(
        "alice", song, tmp_path, status=TaskStatus.RUNNING, runtimes=runtimes
    )
    await age(old, 3)
    await age(old_running, 3)
    serving = await reconfigure(prune_interval_s=0.05, unsaved_ttl_days=1)
    await serving.start()
    for _ in range(200):
        if not await ChoreographyTask.objects.filter(pk=old.pk).aexists():
            break
        await asyncio.sleep(0.02)
    left = {t.pk async for t in ChoreographyTask.objects.all()}
    assert left == {recent.pk, old_running.pk}
    assert await stored_videos(old, recent, runtimes=runtimes) == [f"videos/{recent.pk}.mp4"]
    lease = await WorkLease.objects.aget(name=LEASE_NAME)
    assert lease.owner == serving.instance_id


async def test_only_one_process_prunes_at_a_time(transactional_db, tmp_path, runtime):
    """Two processes' pruners racing: one takes the lease and prunes, the other skips; the
    other takes over only once the holder's lease has expired."""
    options = {"interval_s": 0.05, "older_than_days": 1, "storage": runtime.storage}
    first = Pruner(instance_id=f"a-{uuid.uuid4().hex[:6]}", **options)
    second = Pruner(instance_id=f"b-{uuid.uuid4().hex[:6]}", **options)
    outcomes = await asyncio.gather(first.run_once(), second.run_once())
    assert sum(o is not None for o in outcomes) == 1, outcomes
    holder, other = (first, second) if outcomes[0] is not None else (second, first)
    assert await holder.run_once() is not None  # the holder keeps it
    assert await other.run_once() is None
    await WorkLease.objects.filter(name=LEASE_NAME).aupdate(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert await other.run_once() is not None
    assert await holder.run_once() is None


async def test_take_lease_is_exclusive_under_contention(transactional_db):
    """Many owners asking at once for a fresh lease: exactly one gets it."""
    owners = [f"owner-{i}" for i in range(8)]
    got = await asyncio.gather(*(take_lease("test", owner=o, ttl_s=60) for o in owners))
    assert sum(got) == 1
