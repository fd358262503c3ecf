"""Moves uploaded to a studio over the API: real phone-shaped clips through the upload, the
proposed cut, an adjusted cut (PATCH, made in the background), "ready", a re-cut and a
generate that dances them; the SSE progress; refusals that leave nothing behind; the quota
and the disk floor."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from choreography.models import ChoreographyTask, Move
from choreography.studios.models import StudioMove
from tests import phone_media
from tests.helpers import ffprobe

pytestmark = pytest.mark.django_db(transaction=True)

phone_clips = phone_media.phone_clips
refused_files = phone_media.refused_files

JSON = "application/json"
TYPED = {"silent": "100"}


def moves_url(studio) -> str:
    return f"/api/studios/{studio.pk}/moves/"


async def upload(client, studio, path, **fields):
    with open(path, "rb") as handle:  # noqa: ASYNC230 - the test client reads it anyway
        return await client.post(moves_url(studio), {"file": handle, **fields})


def leftovers(runtime) -> set[str]:
    """Every file in the work dirs and in storage."""
    roots = [runtime.shared_work_root, runtime.storage.root]
    return {str(p) for root in roots if root.exists() for p in root.rglob("*") if p.is_file()}


async def wait_ready(client, studio, move_id: int, timeout: float = 60) -> dict:
    """Poll the move list until the move leaves "cutting" (the background cut)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = (await client.get(moves_url(studio))).json()
        move = next(m for m in listed if m["id"] == move_id)
        if move["status"] not in ("cutting", "analysing"):
            return move
        await asyncio.sleep(0.1)
    raise AssertionError(f"move {move_id} still cutting after {timeout} s")


@pytest.mark.parametrize("shape", ["portrait-hevc", "vfr-60", "silent", "mov"])
async def test_a_phone_clip_goes_from_upload_to_a_ready_move(studios, phone_clips, runtime, shape):
    """Upload -> 201 with tempo, proposed cut on count 1, posters and beat grid; PATCH with an
    adjusted start and length -> "cutting", then "ready" with a canonical clip of exactly
    that many 8-counts in the library's format."""
    clip = phone_clips[shape]
    teacher, studio = studios.teacher_a, studios.studio_a
    fields = {"tempo": TYPED[shape]} if shape in TYPED else {}
    started = time.monotonic()
    response = await upload(teacher.client, studio, clip.path, **fields)
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.content
    out = response.json()
    print(f"upload+analysis of {clip.path.name}: {elapsed:.2f} s")
    expected_bpm = clip.bpm or float(TYPED[shape])
    assert out["tempo"] == pytest.approx(expected_bpm, abs=0.5)
    assert out["status"] == "uploaded"
    assert out["proposed_cut"]["start_seconds"] == pytest.approx(clip.first_beat, abs=0.03)
    assert out["proposed_cut"]["counts"] >= 1
    assert len(out["posters"]) == 8 and all(p["url"].startswith("http") for p in out["posters"])
    assert [b["count"] for b in out["beats"][:9]] != []
    assert out["portrait"] is (clip.height > clip.width)
    ones = [b["seconds"] for b in out["beats"] if b["count"] == 1]
    assert ones[0] == pytest.approx(clip.first_beat % (480 / expected_bpm), abs=0.03)

    beat = 60 / expected_bpm
    start = round(out["proposed_cut"]["start_seconds"] + beat, 4)  # nudged by a beat
    patch = await teacher.client.patch(
        f"{moves_url(studio)}{out['id']}/",
        {"start_seconds": start, "counts": 1, "label": "My move", "difficulty": "beginner"},
        content_type=JSON,
    )
    assert patch.status_code == 200, patch.content
    assert patch.json()["status"] == "cutting"
    ready = await wait_ready(teacher.client, studio, out["id"])
    assert ready["status"] == "ready", ready
    assert (ready["start_seconds"], ready["counts"], ready["label"]) == (start, 1, "My move")
    row = await StudioMove.objects.select_related("clip").aget(pk=out["id"])
    clip_path = await runtime.storage.local_path(row.clip.clip_key)
    probed = ffprobe(clip_path)
    video = probed["streams"][0]
    fmt = runtime.video_format
    assert (video["width"], video["height"]) == (fmt.width, fmt.height)
    assert float(probed["format"]["duration"]) == pytest.approx(8 * beat, abs=0.05)
    assert row.clip.label == "My move" and row.clip.difficulty == "beginner"
    assert row.clip_bytes > 0 and row.original_bytes == clip.path.stat().st_size
    await runtime.settle()  # the tempo variants, rendered after "ready"


async def test_recut_generate_and_delete(studios, phone_clips, library, runtime):
    """A ready move re-cut with a new length (no new upload) is ready again with the new clip;
    generate with library "studio" dances it (for a student too); delete removes the row,
    the clip and everything the upload kept."""
    song, _ = library
    teacher, studio = studios.teacher_a, studios.studio_a
    before = leftovers(runtime)
    out = (await upload(teacher.client, studio, phone_clips["portrait-hevc"].path)).json()
    url = f"{moves_url(studio)}{out['id']}/"
    cut = out["proposed_cut"]
    assert (await teacher.client.patch(url, cut, content_type=JSON)).status_code == 200
    assert (await wait_ready(teacher.client, studio, out["id"]))["status"] == "ready"
    first = (await StudioMove.objects.select_related("clip").aget(pk=out["id"])).clip
    await runtime.settle()

    recut = await teacher.client.patch(url, {"counts": 1}, content_type=JSON)
    assert recut.status_code == 200 and recut.json()["status"] == "cutting"
    again = await wait_ready(teacher.client, studio, out["id"])
    assert again["status"] == "ready" and again["counts"] == 1
    second = (await StudioMove.objects.select_related("clip").aget(pk=out["id"])).clip
    assert second.pk == first.pk and second.clip_key != first.clip_key
    assert second.duration_seconds == pytest.approx(first.duration_seconds / 2, abs=0.05)
    await runtime.settle()

    for who in (teacher, studios.student_a):
        made = await who.client.post(
            "/api/choreography/generate/",
            {"song_id": song.pk, "seed": 3, "library": "studio", "studio_id": studio.pk},
            content_type=JSON,
        )
        assert made.status_code == 200, made.content
        assert {m["name"] for m in made.json()["moves"]} == {second.name}
        task = await ChoreographyTask.objects.aget(pk=made.json()["task_id"])
        await ChoreographyTask.objects.filter(pk=task.pk).adelete()  # not saved: not "in use"

    gone = await teacher.client.delete(url)
    assert gone.status_code == 204, gone.content
    assert not await Move.objects.filter(pk=second.pk).aexists()
    left = {p for p in leftovers(runtime) - before if "/videos/" not in p and "variants" not in p}
    assert not left, left


async def test_progress_comes_as_server_sent_events(studios, phone_clips, runtime):
    """With Accept: text/event-stream: "received", probing, analysing ... progress events, then
    one completed event with the same result as the JSON answer."""
    teacher, studio = studios.teacher_a, studios.studio_a
    with open(phone_clips["mov"].path, "rb") as handle:  # noqa: ASYNC230
        response = await teacher.client.post(
            moves_url(studio), {"file": handle}, headers={"Accept": "text/event-stream"}
        )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    body = b"".join([chunk async for chunk in response.streaming_content]).decode()
    events = [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("data: ", 1)[1]))
        for block in body.strip().split("\n\n")
        if block.startswith("event:")
    ]
    stages = [data["stage"] for name, data in events if name == "progress"]
    assert stages[:3] == ["received", "probing", "analysing"], stages
    assert stages[-1] == "analysed"
    name, result = events[-1]
    assert name == "completed", events[-1]
    assert result["status"] == "uploaded" and result["tempo"] == pytest.approx(115, abs=0.5)
    assert await StudioMove.objects.filter(pk=result["id"]).aexists()
    assert not [p for p in runtime.work_root.rglob("*") if p.is_file()], "upload file removed"


@pytest.mark.parametrize(
    "kind",
    ["still image", "still image in a MOV", "playlist", "not a video", "too short", "too long",
     "short for an 8-count"],
)  # fmt: skip
async def test_bad_input_gets_a_sentence_and_leaves_nothing(studios, refused_files, runtime, kind):
    """Each refused file: 422 in the error shape with a sentence naming the file; no row, no
    stored object, no work file."""
    before = leftovers(runtime)
    response = await upload(studios.teacher_a.client, studios.studio_a, refused_files[kind])
    assert response.status_code == 422, (kind, response.content)
    body = response.json()
    assert set(body) == {"error", "details", "stage"}
    assert refused_files[kind].name in body["error"] and body["error"].endswith("."), body
    assert not await StudioMove.objects.aexists()
    assert leftovers(runtime) == before


async def test_no_sound_and_no_tempo_asks_for_the_tempo(studios, phone_clips):
    """A silent clip without a typed tempo: 422 asking for one."""
    response = await upload(studios.teacher_a.client, studios.studio_a, phone_clips["silent"].path)
    assert response.status_code == 422
    assert "type the tempo" in response.json()["error"]


async def test_only_the_instructor_uploads(studios, phone_clips):
    """Another studio's instructor and an outsider get 404 (the studio does not exist for
    them), a student 403, anonymous 401; nothing is stored."""
    path = phone_clips["mov"].path
    for who, status in (
        (studios.teacher_b, 404),
        (studios.outsider, 404),
        (studios.student_a, 403),
    ):
        response = await upload(who.client, studios.studio_a, path)
        assert response.status_code == status, (who.user, response.content)
    from django.test import AsyncClient

    assert (await upload(AsyncClient(), studios.studio_a, path)).status_code == 401
    assert not await StudioMove.objects.aexists()


async def test_past_the_quota_is_413_saying_what_is_left(studios, phone_clips, reconfigure):
    """A studio at its CHOREO_STUDIO_QUOTA_MB: 413 saying how much is left; nothing stored."""
    await reconfigure(studio_quota_mb=1)
    await StudioMove.objects.acreate(
        studio=studios.studio_a, label="old", status="ready", original_bytes=900 * 1024
    )
    response = await upload(studios.teacher_a.client, studios.studio_a, phone_clips["mov"].path)
    assert response.status_code == 413, response.content
    assert "0.1 MB left of its 1.0 MB" in response.json()["error"]
    assert await StudioMove.objects.acount() == 1


async def test_below_the_disk_floor_is_507(studios, phone_clips, reconfigure):
    """Below CHOREO_MIN_FREE_DISK_MB the upload is refused (507) before a byte is spooled."""
    await reconfigure(min_free_disk_mb=10_000_000)
    response = await upload(studios.teacher_a.client, studios.studio_a, phone_clips["mov"].path)
    assert response.status_code == 507, response.content
    assert not await StudioMove.objects.aexists()


async def test_a_cut_that_does_not_fit_is_a_sentence(studios, phone_clips):
    """PATCH with more 8-counts than the clip holds: 422 saying how many fit; still uploaded."""
    out = (await upload(studios.teacher_a.client, studios.studio_a, phone_clips["mov"].path)).json()
    url = f"{moves_url(studios.studio_a)}{out['id']}/"
    response = await studios.teacher_a.client.patch(url, {"counts": 9}, content_type=JSON)
    assert response.status_code == 422, response.content
    assert "fit" in response.json()["error"]
    assert (await StudioMove.objects.aget(pk=out["id"])).status == "uploaded"


async def test_the_preview_plays_the_cut(studios, phone_clips, runtime):
    """POST .../preview/ renders the cut with a click track and answers its URL."""
    teacher, studio = studios.teacher_a, studios.studio_a
    out = (await upload(teacher.client, studio, phone_clips["mov"].path)).json()
    response = await teacher.client.post(
        f"{moves_url(studio)}{out['id']}/preview/", out["proposed_cut"], content_type=JSON
    )
    assert response.status_code == 200, response.content
    assert "/media/" in response.json()["url"]
    detail = await teacher.client.get(f"{moves_url(studio)}{out['id']}/")
    assert detail.status_code == 200 and detail.json()["beats"] == out["beats"]
    assert (
        await studios.student_a.client.get(f"{moves_url(studio)}{out['id']}/")
    ).status_code == 403


async def test_a_big_body_from_anyone_but_the_instructor_is_refused_unread(studios):
    """At the ASGI door (asgi_project.limits): a multipart body past CHOREO_MAX_BODY_BYTES to
    studio A's upload route is read only for A's instructor; A's student, B's instructor and an
    outsider get 404 with not one byte pulled, a stranger 401."""
    from asgi_project.limits import BodySizeLimit
    from tests.asgi_gate import KIB, MIB, Client, ReadingApp, upload_scope

    path = moves_url(studios.studio_a)
    expected = {
        "teacher-a": 200, "student-a": 404, "teacher-b": 404, "outsider": 404, "anonymous": 401,
    }  # fmt: skip
    people = (studios.teacher_a, studios.student_a, studios.teacher_b, studios.outsider)
    tokens = {p.user.username: p.client.token for p in people} | {"anonymous": None}
    for who, token in tokens.items():
        client = Client([b"x" * (64 * KIB)] * 4)
        app = ReadingApp(client)
        auth = [(b"authorization", f"Bearer {token}".encode())] if token else []
        scope = upload_scope(*auth, (b"content-length", str(256 * KIB).encode()), path=path)
        await BodySizeLimit(app, max_bytes=64 * KIB, max_upload_bytes=MIB)(
            scope, client.receive, client.send
        )
        assert client.status == expected[who], who
        if expected[who] != 200:
            assert client.pulled == 0 and app.seen == [], who
            assert set(json.loads(client.sent[-1]["body"])) == {"error", "details", "stage"}
