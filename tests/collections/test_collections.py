"""My choreographies: save, search, edit, delete (storage first), stats, quota, retention,
history of every attempt, retry and sharing, through the HTTP API."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import AsyncClient
from django.utils import timezone

from choreography.accounts.services import update_preferences
from choreography.accounts.tokens import issue_token
from choreography.collections.models import SavedChoreography
from choreography.models import ChoreographyTask, TaskStatus
from storage import StorageError
from tests.clients import TokenClient, a_song, a_video, stored_videos, user

pytestmark = pytest.mark.django_db(transaction=True)

JSON = "application/json"


@pytest.fixture
async def alice(transactional_db):
    return TokenClient(await issue_token("alice"))


@pytest.fixture
async def bob(transactional_db):
    return TokenClient(await issue_token("bob"))


async def save(client, task, **fields) -> dict:
    response = await client.post(
        "/api/collections/", {"task_id": str(task.pk), **fields}, content_type=JSON
    )
    assert response.status_code == 201, response.content
    return response.json()


async def test_save_get_rename_and_delete(alice, tmp_path, runtimes):
    """A completed generation is saved with the default title, edited, then deleted for good:
    the video and the saved item go; the attempt stays in the history, marked deleted (no
    longer a video), and can be tried again with its parameters."""
    song = await a_song()
    task = await a_video("alice", song, tmp_path, runtimes=runtimes)
    item = await save(alice, task)
    assert item["title"] == "Obsesión — beginner, medium, romantic"
    assert item["song"]["title"] == "Obsesión" and item["size_bytes"] == 1000
    assert item["share_url"] is None and item["video_url"].startswith("http")

    got = (await alice.get(f"/api/collections/{item['id']}/")).json()
    assert got["task_id"] == str(task.pk)
    changed = await alice.patch(
        f"/api/collections/{item['id']}/",
        {"title": "Sunday class", "notes": "slow turns", "tags": ["class", "turns"]},
        content_type=JSON,
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["title"], changed.json()["tags"]) == ("Sunday class", ["class", "turns"])

    assert await stored_videos(task, runtimes=runtimes) == [f"videos/{task.pk}.mp4"]
    assert (await alice.delete(f"/api/collections/{item['id']}/")).status_code == 204
    assert await stored_videos(task, runtimes=runtimes) == []
    assert not await SavedChoreography.objects.aexists()
    assert (await alice.get(f"/api/collections/{item['id']}/")).status_code == 404
    assert (await alice.get(f"/api/choreography/videos/{task.pk}/")).status_code == 404
    assert (await alice.get("/api/choreography/videos/")).json()["total"] == 0
    attempts = (await alice.get("/api/choreography/history/")).json()["items"]
    assert [(a["task_id"], a["status"], a["message"]) for a in attempts] == [
        (str(task.pk), "deleted", "you deleted this video")
    ]
    only = (await alice.get("/api/choreography/history/?status=deleted")).json()
    assert only["total"] == 1
    assert (await alice.get("/api/choreography/history/?status=failed")).json()["total"] == 0
    row = await ChoreographyTask.objects.aget(pk=task.pk)
    assert "video_key" not in row.result and "size_bytes" not in row.result
    again = await alice.post(f"/api/choreography/history/{task.pk}/retry/")
    assert again.status_code == 200 and again.json()["difficulty"] == "beginner"
    stats = (await alice.get("/api/collections/stats/")).json()
    assert stats["usage"]["used_bytes"] == 0


async def test_only_completed_generations_of_mine_can_be_saved(alice, bob, tmp_path, runtimes):
    """Another user's task, a failed one, or an unknown id is 404; saving twice is the same item."""
    song = await a_song()
    theirs = await a_video("bob", song, tmp_path, runtimes=runtimes)
    failed = await a_video(
        "alice", song, tmp_path, status=TaskStatus.FAILED, error="boom", runtimes=runtimes
    )
    for task_id in (theirs.pk, failed.pk, uuid.uuid4()):
        response = await alice.post(
            "/api/collections/", {"task_id": str(task_id)}, content_type=JSON
        )
        assert response.status_code == 404, response.content
    mine = await a_video("alice", song, tmp_path, runtimes=runtimes)
    assert (await save(alice, mine))["id"] == (await save(alice, mine))["id"]


async def test_another_users_item_is_404_everywhere(alice, bob, tmp_path, runtimes):
    """Bob cannot read, edit, delete or share Alice's item, nor see it in his list."""
    item = await save(alice, await a_video("alice", await a_song(), tmp_path, runtimes=runtimes))
    url = f"/api/collections/{item['id']}/"
    assert (await bob.get(url)).status_code == 404
    assert (await bob.patch(url, {"title": "x"}, content_type=JSON)).status_code == 404
    assert (await bob.delete(url)).status_code == 404
    assert (await bob.post(url + "share/", {}, content_type=JSON)).status_code == 404
    assert (await bob.get("/api/collections/")).json()["total"] == 0
    assert (await bob.delete("/api/collections/?confirm=true")).json() == {"deleted": 0}
    assert (await alice.get(url)).status_code == 200


async def test_search_filters_ordering_and_paging(alice, tmp_path, runtimes):
    """q searches title, notes and song title; song, difficulty, style, tag filter; pages."""
    obsesion, propuesta = await a_song("Obsesión"), await a_song("Propuesta Indecente")
    a = await save(
        alice,
        await a_video("alice", obsesion, tmp_path, runtimes=runtimes),
        title="Alpha",
        tags=["warmup"],
    )
    b = await save(
        alice,
        await a_video(
            "alice", propuesta, tmp_path, difficulty="advanced", style="sensual", runtimes=runtimes
        ),
        title="Bravo",
        notes="dips everywhere",
    )
    c = await save(
        alice, await a_video("alice", propuesta, tmp_path, style="playful", runtimes=runtimes)
    )

    async def ids(query: str) -> list[int]:
        response = await alice.get(f"/api/collections/?{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert await ids("") == [c["id"], b["id"], a["id"]]
    assert await ids("ordering=created") == [a["id"], b["id"], c["id"]]
    assert await ids("ordering=title") == [a["id"], b["id"], c["id"]]
    assert (await ids("ordering=-title"))[:1] == [c["id"]]
    assert await ids("q=DIPS") == [b["id"]]
    assert await ids("q=propuesta") == [c["id"], b["id"]]
    assert await ids("q=alph") == [a["id"]]
    assert await ids(f"song={obsesion.pk}") == [a["id"]]
    assert await ids("difficulty=advanced") == [b["id"]]
    assert await ids("style=playful") == [c["id"]]
    assert await ids("tag=warmup") == [a["id"]]
    page = (await alice.get("/api/collections/?page=2&page_size=2")).json()
    assert (page["total"], page["has_next"], len(page["items"])) == (3, False, 1)
    assert (await alice.get("/api/collections/?ordering=size")).status_code == 400


async def test_delete_all_needs_confirmation(alice, tmp_path, runtimes):
    """Without ?confirm=true nothing is deleted (400); with it every video and row goes."""
    song = await a_song()
    tasks = [await a_video("alice", song, tmp_path, runtimes=runtimes) for _ in range(2)]
    for task in tasks:
        await save(alice, task)
    assert (await alice.delete("/api/collections/")).status_code == 400
    assert len(await stored_videos(*tasks, runtimes=runtimes)) == 2
    response = await alice.delete("/api/collections/?confirm=true")
    assert response.json() == {"deleted": 2}
    assert await stored_videos(*tasks, runtimes=runtimes) == []
    assert not await ChoreographyTask.objects.filter(status=TaskStatus.COMPLETED).aexists()
    assert await ChoreographyTask.objects.filter(stage="deleted").acount() == 2


async def test_delete_on_s3_removes_the_object(s3_backend, alice, tmp_path, runtimes):
    """On S3 the video object is gone from the bucket after the delete, and the rows too."""
    item = await save(alice, await a_video("alice", await a_song(), tmp_path, runtimes=runtimes))
    assert len(await s3_backend.list("videos/")) == 1
    assert (await alice.delete(f"/api/collections/{item['id']}/")).status_code == 204
    assert await s3_backend.list("videos/") == []
    assert not await SavedChoreography.objects.aexists()


async def test_s3_failure_during_delete_keeps_the_row(
    s3_backend, alice, tmp_path, monkeypatch, runtimes
):
    """A storage error is reported (500 at stage storage) and the row and object stay."""
    item = await save(alice, await a_video("alice", await a_song(), tmp_path, runtimes=runtimes))

    async def broken(key):
        raise StorageError("S3 is down", operation="delete", key=key, backend="s3")

    monkeypatch.setattr(s3_backend, "delete", broken)
    response = await alice.delete(f"/api/collections/{item['id']}/")
    assert response.status_code == 500
    assert response.json()["stage"] == "storage"
    assert "S3 is down" in response.json()["details"]
    assert await SavedChoreography.objects.filter(pk=item["id"]).aexists()
    monkeypatch.undo()
    assert len(await s3_backend.list("videos/")) == 1


async def test_stats(alice, tmp_path, runtimes):
    """Count, total minutes and counts by difficulty, style and song, with the usage."""
    one, two = await a_song("One"), await a_song("Two")
    await save(
        alice,
        await a_video("alice", one, tmp_path, duration=90, size=3 * 1024 * 1024, runtimes=runtimes),
    )
    await save(
        alice,
        await a_video(
            "alice", two, tmp_path, difficulty="advanced", duration=30, runtimes=runtimes
        ),
    )
    await a_video("alice", two, tmp_path, runtimes=runtimes)  # unsaved: counts in the usage only
    stats = (await alice.get("/api/collections/stats/")).json()
    assert stats["count"] == 2 and stats["total_minutes"] == 2.0
    assert stats["by_difficulty"] == {"beginner": 1, "advanced": 1}
    assert stats["by_style"] == {"romantic": 2}
    assert stats["by_song"] == {"One": 1, "Two": 1}
    assert stats["usage"]["used_bytes"] == 3 * 1024 * 1024 + 2000
    assert stats["usage"]["quota_mb"] == 2048


async def test_quota_refuses_save_and_generation_with_409(alice, tmp_path, reconfigure, runtimes):
    """Past CHOREO_USER_QUOTA_MB a save and a generation are refused, saying how much is used."""
    await reconfigure(user_quota_mb=1)
    song = await a_song()
    await a_video("alice", song, tmp_path, size=1024 * 1024, runtimes=runtimes)  # exactly the quota
    response = await alice.post(
        "/api/choreography/generate/", {"song_id": song.pk}, content_type=JSON
    )
    assert response.status_code == 409, response.content
    assert "1.0 MB used of 1.0 MB" in response.json()["error"]
    assert "Retry-After" not in response
    extra = await a_video("alice", song, tmp_path, size=10, runtimes=runtimes)
    response = await alice.post("/api/collections/", {"task_id": str(extra.pk)}, content_type=JSON)
    assert response.status_code == 409
    assert response.json()["stage"] == "quota"


async def test_prune_removes_only_unsaved_generations_after_the_ttl(
    alice, tmp_path, reconfigure, runtimes
):
    """prune_videos (default CHOREO_UNSAVED_TTL_DAYS) deletes old unsaved rows and objects only."""
    await reconfigure(unsaved_ttl_days=7)
    song = await a_song()
    old_saved = await a_video("alice", song, tmp_path, runtimes=runtimes)
    await save(alice, old_saved)
    old_unsaved = await a_video("alice", song, tmp_path, runtimes=runtimes)
    recent = await a_video("alice", song, tmp_path, runtimes=runtimes)
    await ChoreographyTask.objects.filter(pk__in=[old_saved.pk, old_unsaved.pk]).aupdate(
        created_at=timezone.now() - timedelta(days=8)
    )
    await sync_to_async(call_command)("prune_videos")
    left = {t.pk async for t in ChoreographyTask.objects.all()}
    assert left == {old_saved.pk, recent.pk}
    assert await stored_videos(old_saved, old_unsaved, recent, runtimes=runtimes) == sorted(
        [f"videos/{old_saved.pk}.mp4", f"videos/{recent.pk}.mp4"]
    )


async def test_history_lists_every_attempt_newest_first(alice, bob, tmp_path, runtimes):
    """Completed, failed (error and stage) and cancelled (by the client or the server)."""
    song = await a_song()
    done = await a_video("alice", song, tmp_path, runtimes=runtimes)
    failed = await a_video(
        "alice",
        song,
        tmp_path,
        status=TaskStatus.FAILED,
        error="FFmpeg failed",
        stage="mux",
        runtimes=runtimes,
    )
    left = await a_video(
        "alice",
        song,
        tmp_path,
        status=TaskStatus.FAILED,
        error="client disconnected",
        stage="assembly",
        runtimes=runtimes,
    )
    stopped = await a_video(
        "alice",
        song,
        tmp_path,
        status=TaskStatus.FAILED,
        error="server shutting down",
        runtimes=runtimes,
    )
    await a_video("bob", song, tmp_path, runtimes=runtimes)
    page = (await alice.get("/api/choreography/history/")).json()
    assert page["total"] == 4
    rows = {item["task_id"]: item for item in page["items"]}
    assert [item["task_id"] for item in page["items"]] == [
        str(t.pk) for t in (stopped, left, failed, done)
    ]
    assert (rows[str(failed.pk)]["status"], rows[str(failed.pk)]["message"]) == (
        "failed",
        "FFmpeg failed",
    )
    assert rows[str(failed.pk)]["stage"] == "mux"
    assert (rows[str(left.pk)]["status"], rows[str(left.pk)]["message"]) == (
        "cancelled",
        "you cancelled",
    )
    assert rows[str(stopped.pk)]["message"] == "the server stopped"
    assert rows[str(done.pk)]["status"] == "completed"
    cancelled = (await alice.get("/api/choreography/history/?status=cancelled")).json()
    assert {i["task_id"] for i in cancelled["items"]} == {str(left.pk), str(stopped.pk)}
    only_failed = (await alice.get("/api/choreography/history/?status=failed")).json()
    assert [i["task_id"] for i in only_failed["items"]] == [str(failed.pk)]
    assert (await alice.get("/api/choreography/history/?status=nope")).status_code == 400
    videos = (await alice.get("/api/choreography/videos/")).json()
    assert [i["task_id"] for i in videos["items"]] == [str(done.pk)]


async def test_retry_returns_the_same_song_parameters_and_seed(alice, bob, tmp_path, runtimes):
    """Try again answers what to send to generate; another user's attempt is 404."""
    song = await a_song()
    failed = await a_video(
        "alice",
        song,
        tmp_path,
        status=TaskStatus.FAILED,
        error="boom",
        seed=42,
        style="sensual",
        runtimes=runtimes,
    )
    url = f"/api/choreography/history/{failed.pk}/retry/"
    response = await alice.post(url)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "song_id": song.pk,
        "difficulty": "beginner",
        "energy_level": "medium",
        "style": "sensual",
        "seed": 42,
        "start_seconds": None,
        "end_seconds": None,
        "library": "public",
        "studio_id": None,
        "allow_repeats": False,
    }
    assert (await bob.post(url)).status_code == 404
    failed.parameters = {**failed.parameters, "allow_repeats": True}
    await failed.asave(update_fields=["parameters"])
    assert (await alice.post(url)).json()["allow_repeats"] is True


async def test_share_unshare_and_the_public_page(alice, tmp_path, runtimes):
    """The share URL opens without a session; revoking makes it 404 at once."""
    item = await save(
        alice, await a_video("alice", await a_song(), tmp_path, runtimes=runtimes), title="Sunday"
    )
    response = await alice.post(f"/api/collections/{item['id']}/share/", {}, content_type=JSON)
    assert response.status_code == 200, response.content
    url = response.json()["url"]
    path = "/" + url.split("/", 3)[3]
    assert path.startswith("/shared/") and len(path.split("/")[2]) >= 32
    page = await AsyncClient().get(path)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Sunday" in text and "Basic step" in text and f'"video_url": "{path}video/"' in text
    assert 'id="player"' in text and 'id="save-result"' not in text  # the player, read-only
    assert (await alice.get(f"/api/collections/{item['id']}/")).json()["share_url"] == url

    again = (
        await alice.post(f"/api/collections/{item['id']}/share/", {}, content_type=JSON)
    ).json()["url"]
    assert again != url and (await AsyncClient().get(path)).status_code == 404
    assert (await alice.delete(f"/api/collections/{item['id']}/share/")).status_code == 204
    assert (await AsyncClient().get("/" + again.split("/", 3)[3])).status_code == 404
    unknown = await AsyncClient().get("/shared/not-a-token/", headers={"Accept": "text/html"})
    assert unknown.status_code == 404
    assert b"not available" in unknown.content and b'href="/"' in unknown.content


async def test_an_expired_share_is_404(alice, tmp_path, runtimes):
    """A link past its expires_in_days is 404."""
    item = await save(alice, await a_video("alice", await a_song(), tmp_path, runtimes=runtimes))
    response = await alice.post(
        f"/api/collections/{item['id']}/share/", {"expires_in_days": 1}, content_type=JSON
    )
    path = "/" + response.json()["url"].split("/", 3)[3]
    assert (await AsyncClient().get(path)).status_code == 200
    await SavedChoreography.objects.filter(pk=item["id"]).aupdate(
        share_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert (await AsyncClient().get(path)).status_code == 404


async def test_auto_save_keeps_every_completed_generation(alice, library):
    """With auto_save on, a real generation is saved at once under its default title."""
    song, _ = library
    await update_preferences(await user("alice"), auto_save=True)
    response = await alice.post(
        "/api/choreography/generate/", {"song_id": song.id, "seed": 3}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    saved = await SavedChoreography.objects.select_related("task").aget()
    assert str(saved.task.pk) == response.json()["task_id"]
    assert saved.title.startswith("Test Song — intermediate, medium")


async def test_the_page_has_my_choreographies_history_and_usage(transactional_db):
    """The signed-in page carries the one list (saved, then the others: unsaved videos or
    every attempt, by the Show filter), the save dialog, the usage and its script."""
    from django.test import AsyncClient as Client

    from choreography.accounts.signin import sign_in_path

    owner = await get_user_model().objects.acreate(username="carol")
    client = Client()
    await client.get(sign_in_path(owner))
    text = (await client.get("/")).content.decode()
    for marker in (
        'id="collection"',
        'id="history"',
        'id="collection-show"',
        '<dialog id="save-dialog"',
        'id="usage"',
        'id="save-result"',
    ):
        assert marker in text
    assert text.count('aria-labelledby="collection-title"') == 1  # one list, not three
    assert "/static/choreography/collections.js" in text
    script = await client.get("/static/choreography/collections.js")
    assert script.status_code == 200
