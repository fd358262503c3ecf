"""The studio library: list with posters, edit labels and the stored cut (mirrored onto the
clip generate reads), delete with the clip's objects, refused while a choreography uses it."""

from __future__ import annotations

import pytest

from choreography.models import ChoreographyTask, Move, TaskStatus
from choreography.studios.models import StudioMove

pytestmark = pytest.mark.django_db(transaction=True)

JSON = "application/json"


@pytest.fixture
async def studio_move(library, studios):
    """Studio A's ready move on the library's first clip."""
    _, moves = library
    return await StudioMove.objects.acreate(
        studio=studios.studio_a, clip=moves[0], label="Move 0", status="ready", tempo_bpm=120.0
    )


async def test_list_shows_labels_cut_and_poster(studio_move, studios):
    """GET moves: the move with its poster link and clip duration (student included)."""
    listed = (
        await studios.student_a.client.get(f"/api/studios/{studios.studio_a.pk}/moves/")
    ).json()
    assert [(m["id"], m["label"], m["status"], m["counts"]) for m in listed] == [
        (studio_move.pk, "Move 0", "ready", 1)
    ]
    assert listed[0]["poster_url"].startswith("http://testserver/media/")
    assert listed[0]["duration_seconds"] > 0


async def test_patch_changes_labels_on_the_clip_too_and_stores_the_cut(studio_move, studios):
    """PATCH label/difficulty/start/counts: 200; the clip row carries the new labels."""
    path = f"/api/studios/{studios.studio_a.pk}/moves/{studio_move.pk}/"
    body = {"label": "Cross body lead", "difficulty": "advanced", "start_seconds": 1.5, "counts": 2}
    response = await studios.teacher_a.client.patch(path, body, content_type=JSON)
    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["label"], out["difficulty"], out["start_seconds"], out["counts"]) == (
        "Cross body lead", "advanced", 1.5, 2,
    )  # fmt: skip
    clip = await Move.objects.aget(pk=studio_move.clip_id)
    assert (clip.label, clip.difficulty) == ("Cross body lead", "advanced")
    bad = await studios.teacher_a.client.patch(path, {"counts": 0}, content_type=JSON)
    assert bad.status_code == 400 and bad.json()["details"][0]["field"] == "counts"
    unknown = await studios.teacher_a.client.patch(path, {"name": "x"}, content_type=JSON)
    assert unknown.status_code == 400


async def test_delete_is_refused_with_a_sentence_while_a_choreography_uses_it(
    studio_move, studios, runtimes
):
    """409 naming the move while a completed choreography uses it; once that is gone, 204 and
    the row, the clip row and its stored objects are gone."""
    clip = await Move.objects.aget(pk=studio_move.clip_id)
    used = await ChoreographyTask.objects.acreate(
        user=studios.teacher_a.user,
        status=TaskStatus.COMPLETED,
        result={"timeline": [{"name": clip.name}], "video_key": "videos/x.mp4"},
    )
    path = f"/api/studios/{studios.studio_a.pk}/moves/{studio_move.pk}/"
    refused = await studios.teacher_a.client.delete(path)
    assert refused.status_code == 409
    assert refused.json()["error"] == "the move 'Move 0' cannot be deleted: 1 choreography uses it"
    assert str(used.pk) in refused.json()["details"]
    assert await StudioMove.objects.filter(pk=studio_move.pk).aexists()

    await used.adelete()
    assert (await studios.teacher_a.client.delete(path)).status_code == 204
    assert not await StudioMove.objects.filter(pk=studio_move.pk).aexists()
    assert not await Move.objects.filter(pk=clip.pk).aexists()
    storage = runtimes.current.storage
    assert not await storage.exists(clip.clip_key)
    assert not await storage.exists(clip.poster_key)


async def test_a_move_without_a_clip_yet_is_deleted_alone(studios):
    """A move still being analysed (no clip) is just its row."""
    move = await StudioMove.objects.acreate(studio=studios.studio_a, label="Pending")
    path = f"/api/studios/{studios.studio_a.pk}/moves/{move.pk}/"
    assert (await studios.teacher_a.client.delete(path)).status_code == 204
    assert not await StudioMove.objects.filter(pk=move.pk).aexists()
