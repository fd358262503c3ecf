"""The staff library routes: upload, edit and delete songs and moves (real FFmpeg, in-process)."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.test import AsyncClient

from choreography.accounts.tokens import issue_token
from choreography.models import ChoreographyTask, Move, Song, TaskStatus
from tests.clients import TokenClient, leftover_uploads, staff_client, upload
from tests.helpers import make_phone_clip, make_song, streams
from tests.live import copy_data_dir, start_server

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def staff(transactional_db):
    return await staff_client()


async def test_upload_song_imports_it_normalized(staff, runtime, tmp_path):
    """A new song answers 201; its row and its AAC object exist; the same file again is a 200
    duplicate with the same id."""
    source = make_song(tmp_path / "upload.wav", 5.0, ("-c:a", "pcm_s16le"))
    response = await upload(staff, "/api/songs/", source, title="Up", artist="Me", bpm="120")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["duplicate"] is False and body["bpm"] == 120
    song = await Song.objects.aget(pk=body["id"])
    assert song.title == "Up" and song.energy_curve
    local = await runtime.storage.local_path(song.audio_key)
    assert streams(local)["audio"]["codec_name"] == "aac"
    again = await upload(staff, "/api/songs/", source, title="Other")
    assert again.status_code == 200
    assert again.json()["duplicate"] is True and again.json()["id"] == song.id
    assert await Song.objects.acount() == 1
    assert not leftover_uploads(runtime)


async def test_upload_move_imports_it_normalized(staff, runtime, tmp_path):
    """A phone clip becomes a canonical move with clip and stream stored; a re-upload is a 200."""
    source = make_phone_clip(tmp_path / "cross-body-lead.mp4", 1.5)
    response = await upload(staff, "/api/moves/", source, difficulty="beginner", tempo="118")
    assert response.status_code == 201, response.content
    body = response.json()
    move = await Move.objects.aget(pk=body["id"])
    assert (move.name, move.difficulty, move.tempo_bpm) == ("cross-body-lead", "beginner", 118)
    assert set(await runtime.storage.list("library/")) >= {move.clip_key, move.stream_key}
    info = streams(await runtime.storage.local_path(move.clip_key))
    assert info["video"]["width"] == 320 and info.get("audio") is None
    again = await upload(staff, "/api/moves/", source)
    assert (again.status_code, again.json()["duplicate"], again.json()["id"]) == (
        200,
        True,
        move.id,
    )


async def test_a_file_ffmpeg_cannot_read_is_a_400_naming_it(staff, runtime, tmp_path):
    """Junk is refused with 400 naming the uploaded file; nothing is stored or left behind."""
    junk = tmp_path / "notes.mp3"
    junk.write_bytes(b"not audio at all " * 100)
    stored = set(await runtime.storage.list(""))
    response = await upload(staff, "/api/songs/", junk, title="Junk")
    assert response.status_code == 400, response.content
    assert "notes.mp3" in response.json()["error"]
    moves = await upload(staff, "/api/moves/", junk)
    assert moves.status_code == 400 and "notes.mp3" in moves.json()["error"]
    assert await Song.objects.acount() == 0 and set(await runtime.storage.list("")) == stored
    assert not leftover_uploads(runtime)


async def test_too_large_is_a_413(staff, reconfigure, tmp_path):
    """Over CHOREO_MAX_UPLOAD_MB the upload is refused with 413 in the usual shape."""
    runtime = await reconfigure(max_upload_mb=1)
    junk = tmp_path / "big.wav"
    junk.write_bytes(b"\0" * (2 * 1024 * 1024))
    response = await upload(staff, "/api/songs/", junk, title="Big")
    assert response.status_code == 413
    assert set(response.json()) == {"error", "details", "stage"}
    assert "CHOREO_MAX_UPLOAD_MB" in response.json()["details"]
    assert not leftover_uploads(runtime)


async def test_non_staff_is_403_and_anonymous_401(transactional_db, song_file, library):
    """Only staff may manage the library."""
    song, moves = library
    user = TokenClient(await issue_token("alice"))
    for client, status in ((user, 403), (AsyncClient(), 401)):
        assert (await upload(client, "/api/songs/", song_file, title="x")).status_code == status
        patched = await client.patch(
            f"/api/moves/{moves[0].id}/", {"label": "x"}, content_type="application/json"
        )
        assert patched.status_code == status
        assert (await client.delete(f"/api/songs/{song.id}/")).status_code == status
        assert set((await client.delete(f"/api/moves/{moves[0].id}/")).json()) == {
            "error",
            "details",
            "stage",
        }


async def test_patch_song_replans_the_energy_curve(staff, library):
    """A new tempo and first beat re-measure the phrase energy on the new grid."""
    song, _ = library
    before = list(song.energy_curve)
    response = await staff.patch(
        f"/api/songs/{song.id}/",
        {"bpm": 60.0, "first_beat": 0.5, "title": "Slow"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    row = await Song.objects.aget(pk=song.id)
    assert (row.title, row.bpm, row.first_beat_seconds) == ("Slow", 60.0, 0.5)
    # 8 beats at 60 BPM = 8 s phrases: the 6.5 s song from 0.5 s holds one phrase, not the
    # several 4 s phrases it had at 120 BPM.
    assert len(row.energy_curve) == 1 and len(before) > 1
    assert row.analysis["bpm_source"] == "given"
    renamed = await staff.patch(
        f"/api/songs/{song.id}/", {"title": "Obsesión"}, content_type="application/json"
    )
    assert renamed.status_code == 200
    found = (await staff.get("/api/songs/?q=obsesion")).json()["items"]
    assert [item["id"] for item in found] == [song.id]  # the search follows the new title
    bad = await staff.patch(
        f"/api/songs/{song.id}/", {"bpm": "fast", "x": 1}, content_type="application/json"
    )
    assert bad.status_code == 400


async def test_patch_move(staff, library):
    """Move facets are edited; unknown fields and values are 400."""
    _, moves = library
    url = f"/api/moves/{moves[0].id}/"
    ok = await staff.patch(
        url,
        {"label": "New", "style": "sensual", "tempo_bpm": 130.0},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    row = await Move.objects.aget(pk=moves[0].id)
    assert (row.label, row.style, row.tempo_bpm, row.tempo_source) == (
        "New",
        "sensual",
        130.0,
        "metadata",
    )
    assert (
        await staff.patch(url, {"style": "wild"}, content_type="application/json")
    ).status_code == 400
    assert (
        await staff.patch("/api/moves/999999/", {}, content_type="application/json")
    ).status_code == 404


async def completed_task(song, move_names) -> ChoreographyTask:
    user, _ = await get_user_model().objects.aget_or_create(username="dancer")
    return await ChoreographyTask.objects.acreate(
        user=user,
        song=song,
        status=TaskStatus.COMPLETED,
        parameters={"song_id": song.id, "seed": 1},
        result={"timeline": [{"name": name} for name in move_names], "blueprint": {}},
    )


async def test_delete_removes_rows_and_objects(staff, runtime, library):
    """DELETE removes the row and its stored objects."""
    song, moves = library
    assert (await staff.delete(f"/api/songs/{song.id}/")).status_code == 204
    assert (await staff.delete(f"/api/moves/{moves[0].id}/")).status_code == 204
    keys = set(await runtime.storage.list(""))
    assert song.audio_key not in keys and song.original_key not in keys
    assert not keys & {moves[0].clip_key, moves[0].stream_key, moves[0].poster_key}
    assert moves[0].original_key not in keys
    assert moves[1].clip_key in keys and moves[1].original_key in keys
    assert not await Song.objects.filter(pk=song.id).aexists()
    assert (await staff.delete(f"/api/songs/{song.id}/")).status_code == 404


async def test_delete_in_use_is_a_409_naming_the_tasks(staff, runtime, library):
    """A completed choreography keeps its song and moves: 409 names the task, nothing goes."""
    song, moves = library
    task = await completed_task(song, [moves[1].name])
    for url in (f"/api/songs/{song.id}/", f"/api/moves/{moves[1].id}/"):
        response = await staff.delete(url)
        assert response.status_code == 409, response.content
        assert str(task.id) in response.json()["details"]
        assert "Retry-After" not in response
    assert await runtime.storage.exists(song.audio_key)
    assert (await staff.delete(f"/api/moves/{moves[2].id}/")).status_code == 204


async def test_upload_and_delete_on_s3(s3_backend, staff, library, tmp_path):
    """On S3 an upload stores the objects in the bucket and a delete removes them."""
    source = make_phone_clip(tmp_path / "dip.mp4", 1.2)
    response = await upload(staff, "/api/moves/", source, style="romantic")
    assert response.status_code == 201, response.content
    move = await Move.objects.aget(pk=response.json()["id"])
    objects = {move.clip_key, move.stream_key, move.poster_key, move.original_key}
    assert objects <= set(await s3_backend.list("library/"))
    song, _ = library
    assert (await staff.delete(f"/api/moves/{move.id}/")).status_code == 204
    assert (await staff.delete(f"/api/songs/{song.id}/")).status_code == 204
    left = set(await s3_backend.list("library/"))
    assert not left & {*objects, song.audio_key, song.original_key}


async def test_upload_file_is_removed_on_cancellation(transactional_db, runtime, song_file):
    """A request cancelled while its upload is being imported leaves no temporary file."""
    from django.test import RequestFactory

    from choreography.api.uploads import multipart_upload

    with open(song_file, "rb") as handle:  # noqa: ASYNC230 - a test fixture file
        request = RequestFactory().post("/api/songs/", {"file": handle, "title": "x"})
    seen, inside = [], asyncio.Event()

    async def hold():
        async with multipart_upload(request) as (_fields, path, name):
            seen.append((path, name))
            inside.set()
            await asyncio.sleep(30)

    task = asyncio.create_task(hold())
    await asyncio.wait_for(inside.wait(), 10)
    path, name = seen[0]
    assert name == "song.m4a" and path.exists() and path.parent == runtime.work_root
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not path.exists()


def test_admin_upload_forms_use_the_import_path(admin_client, runtime, tmp_path):
    """The admin's upload forms import a song and a move (a second upload is recognised)."""
    source = make_song(tmp_path / "admin.wav", 4.0, ("-c:a", "pcm_s16le"))
    with open(source, "rb") as handle:
        response = admin_client.post(
            "/admin/choreography/song/upload/",
            {"file": handle, "title": "Admin Song", "bpm": "100", "genre": "bachata"},
        )
    assert response.status_code == 302, response.content
    song = Song.objects.get(title="Admin Song")
    assert song.bpm == 100 and song.energy_curve
    clip = make_phone_clip(tmp_path / "hammerlock.mp4", 1.0)
    for _ in range(2):
        with open(clip, "rb") as handle:
            response = admin_client.post(
                "/admin/choreography/move/upload/",
                {"file": handle, "difficulty": "advanced", "energy_level": "high"},
            )
        assert response.status_code == 302, response.content
    assert Move.objects.filter(name="hammerlock", difficulty="advanced").count() == 1
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"junk" * 100)
    with open(junk, "rb") as handle:
        response = admin_client.post(
            "/admin/choreography/move/upload/",
            {"file": handle, "difficulty": "advanced", "energy_level": "high"},
        )
    assert response.status_code == 200 and b"junk.mp4" in response.content
    assert b"Upload" in admin_client.get("/admin/choreography/song/").content


def test_live_upload_passes_the_body_limit_on_its_route_only(live_template, tmp_path):
    """Over a real socket a 3 MB multipart upload reaches the route (here: 400, not media),
    while a 100 KB JSON body to generate is still refused at the door (413)."""
    data_dir = copy_data_dir(live_template, tmp_path / "data")
    db = sqlite3.connect(data_dir / "choreo.sqlite3")
    with db:
        db.execute("UPDATE auth_user SET is_staff = 1 WHERE username = 'alice'")
    db.close()
    server = start_server(data_dir)
    try:
        headers = server.auth("alice")
        junk = b"\1" * (3 * 1024 * 1024)
        response = httpx.post(
            f"{server.base}/api/songs/",
            headers=headers,
            files={"file": ("big.mp3", junk)},
            data={"title": "Big"},
            timeout=60,
        )
        assert response.status_code == 400, response.text
        assert "big.mp3" in response.json()["error"]
        body = json.dumps({"song_id": 1, "pad": "x" * 100_000})
        refused = httpx.post(
            f"{server.base}/api/choreography/generate/",
            headers={**headers, "Content-Type": "application/json"},
            content=body,
            timeout=30,
        )
        assert refused.status_code == 413
        assert server.work_dirs() == []
    finally:
        server.stop()


async def test_only_staff_may_send_an_upload_sized_body(staff):
    """A multipart POST to an upload route larger than the 64 KiB door limit reaches the app
    only from staff: no credentials, a made-up token, Basic or a junk session are 401, a valid
    non-staff token 403, all answered at the door (Django would spool the body first)."""
    from asgi_project.limits import BodySizeLimit

    reached: list[bool] = []

    async def app(scope, receive, send):
        reached.append(True)

    limit = BodySizeLimit(app, max_bytes=64 * 1024, max_upload_bytes=10 * 1024 * 1024)
    user_token = await issue_token("alice")

    async def status_for(*extra: tuple[bytes, bytes]) -> int | None:
        sent: list[dict] = []
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/api/songs/",
            "headers": [
                (b"content-type", b"multipart/form-data; boundary=x"),
                (b"content-length", str(5 * 1024 * 1024).encode()),
                *extra,
            ],
        }

        async def send(message):
            sent.append(message)

        reached.clear()
        await limit(scope, None, send)
        return None if reached else sent[0]["status"]

    assert await status_for() == 401
    assert await status_for((b"authorization", b"Basic eDp5")) == 401
    assert await status_for((b"authorization", b"Bearer chor_abc")) == 401
    assert await status_for((b"cookie", b"csrftoken=a; sessionid=b")) == 401
    assert await status_for((b"authorization", f"Bearer {user_token}".encode())) == 403
    assert await status_for((b"authorization", f"Bearer {staff.token}".encode())) is None
