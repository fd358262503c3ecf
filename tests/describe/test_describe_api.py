"""Describe it in words over the API, in-process: POST /api/choreography/describe/ and generate
with a description (plain JSON and SSE), with the real library and FFmpeg."""

from __future__ import annotations

import pytest

from choreography.accounts.tokens import issue_token
from choreography.models import ChoreographyTask, Song
from tests.clients import StreamReader, TokenClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def client(transactional_db):
    return TokenClient(await issue_token("alice"))


async def describe(client, text):
    return await client.post(
        "/api/choreography/describe/", {"text": text}, content_type="application/json"
    )


async def generate(client, body, **headers):
    return await client.post(
        "/api/choreography/generate/", body, content_type="application/json", headers=headers
    )


async def test_describe_answers_the_interpretation_without_generating(client, library):
    """The song (named with a typo), each parameter with its words, the assumptions and steps;
    no task is created."""
    song, _ = library
    response = await describe(client, "tset song, romántico y lento para principiantes, 1 minuto")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["song"]["id"], body["song"]["title"], body["song"]["assumed"]) == (
        song.id,
        "Test Song",
        False,
    )
    assert body["song"]["words"] == ["tset song"]
    assert (body["difficulty"]["value"], body["difficulty"]["words"]) == (
        "beginner",
        ["principiantes"],
    )
    assert (body["style"]["value"], body["style"]["words"]) == ("romantic", ["romántico"])
    assert body["tempo"]["value"] == "slow"
    assert body["energy_level"] == {**body["energy_level"], "value": "low", "assumed": True}
    assert body["section"]["duration_seconds"] == 60.0
    assert body["interpreter"] == "built-in" and body["fallback_reason"] is None
    assert body["assumptions"] and len(body["steps"]) >= 5
    assert await ChoreographyTask.objects.acount() == 0


async def test_describe_picks_a_song_when_none_is_named_and_says_so(client, library):
    """No song in the text: the catalog's song that fits, marked assumed, with the reason."""
    song, _ = library
    body = (await describe(client, "something fast and playful")).json()
    assert body["song"]["id"] == song.id and body["song"]["assumed"] is True
    assert "you named no song" in body["song"]["why"]


@pytest.mark.parametrize("text", ["", "qwzx plonk", "the of and"])
async def test_an_empty_or_nonsense_text_is_a_400_listing_what_is_understood(client, library, text):
    """400 {"error", "details": {"understands", "examples"}, "stage": "interpretation"}."""
    response = await describe(client, text)
    assert response.status_code == 400
    body = response.json()
    assert body["stage"] == "interpretation"
    assert body["error"] == "could not understand the description"
    assert "difficulty" in body["details"]["understands"]
    assert len(body["details"]["examples"]) >= 3


async def test_describe_needs_authentication(library):
    """Authentication as for generate: 401 in the error shape."""
    from django.test import AsyncClient

    response = await AsyncClient().post(
        "/api/choreography/describe/", {"text": "slow"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert set(response.json()) == {"error", "details", "stage"}


async def test_describe_refuses_unknown_fields_and_a_text_too_long(client, library):
    """The body is strict like generate's: 400 naming the field."""
    response = await client.post(
        "/api/choreography/describe/",
        {"text": "slow", "extra": 1},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert (await describe(client, "slow " * 300)).status_code == 400


async def test_generate_from_a_description_uses_its_reading_and_echoes_it(client, library):
    """{"description"} in place of the parameters: the task has the read parameters and the
    response carries the interpretation."""
    song, _ = library
    response = await generate(client, {"description": "easy and sensual, high energy"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["song_id"] == song.id
    assert body["interpretation"]["difficulty"]["value"] == "beginner"
    task = await ChoreographyTask.objects.aget(pk=body["task_id"])
    assert task.parameters == {**task.parameters, "difficulty": "beginner", "style": "sensual"}
    assert task.parameters["energy_level"] == "high"


async def test_parameters_sent_with_a_description_win_over_its_reading(client, library):
    """A dancer who changed a chip sends the field: it overrides what the words said."""
    body = (
        await generate(client, {"description": "easy and sensual", "difficulty": "advanced"})
    ).json()
    task = await ChoreographyTask.objects.aget(pk=body["task_id"])
    assert (task.parameters["difficulty"], task.parameters["style"]) == ("advanced", "sensual")
    assert body["interpretation"]["difficulty"]["value"] == "beginner"


async def test_generate_needs_a_song_or_a_description(client, library):
    """Neither song_id nor description: 400 that says one is required."""
    response = await generate(client, {"difficulty": "beginner"})
    assert response.status_code == 400
    assert "song_id is required unless description is given" in response.json()["error"]


async def test_generate_from_nonsense_is_a_400_before_any_task(client, library):
    """A description with nothing known: the describe 400, and no task row."""
    response = await generate(client, {"description": "blorp zing"})
    assert response.status_code == 400
    assert response.json()["stage"] == "interpretation"
    assert await ChoreographyTask.objects.acount() == 0


async def test_the_stream_sends_the_interpretation_steps_before_the_progress(client, library):
    """SSE: interpretation steps, then interpreted, then progress, then completed (echoing it)."""
    response = await generate(
        client, {"description": "romantic, not too hard"}, Accept="text/event-stream"
    )
    assert response.status_code == 200
    events = [e async for e in StreamReader(response).events() if e.name != "comment"]
    names = [e.name for e in events]
    first_progress = names.index("progress")
    steps = [e for e in events if e.name == "interpretation"]
    assert steps and names[: len(steps)] == ["interpretation"] * len(steps)
    assert names[len(steps)] == "interpreted" and len(steps) < first_progress
    assert [s.data["step"] for s in steps] == list(range(1, len(steps) + 1))
    assert events[len(steps)].data["difficulty"]["value"] == "intermediate"
    assert names[-1] == "completed"
    assert events[-1].data["interpretation"]["style"]["value"] == "romantic"


async def test_generate_dances_the_length_read_from_the_description(
    client, library, long_song_file, runtime
):
    """The description "the first 30 seconds, romantic" names no song: the library song long
    enough is picked, and the video is its first 30 s snapped to phrase boundaries."""
    from choreography.library.imports import import_song

    song, _ = await import_song(
        long_song_file,
        title="Long Song",
        artist="Tester",
        bpm=120.0,
        first_beat=0.5,
        warm=False,
        runtime=runtime,
    )
    response = await generate(client, {"description": "the first 30 seconds, romantic"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["song_id"] == song.id  # the 6.5 s library song is too short
    assert body["interpretation"]["section"]["duration_seconds"] == 30.0
    # 120 bpm from 0.5 s: phrases (4 s) start at 0.5 ... 28.5, 32.5; 0.5 + 30 s lies halfway
    # between two boundaries and ties go to the later one
    assert body["section"] == {"start_seconds": 0.5, "end_seconds": 32.5}
    assert body["duration_seconds"] == pytest.approx(32.0, abs=1 / 30)
    task = await ChoreographyTask.objects.aget(pk=body["task_id"])
    assert (task.parameters["start_seconds"], task.parameters["end_seconds"]) == (0.5, 32.5)


async def test_a_section_sent_with_a_description_replaces_the_read_one(client, library):
    """A dancer who set start/end on the form sends them: the read length ("the first 30
    seconds") is dropped instead of clashing with them."""
    song, _ = library
    await Song.objects.filter(pk=song.pk).aupdate(bpm=120.0, first_beat_seconds=0.5)
    response = await generate(
        client,
        {"description": "romantic, the first 30 seconds", "start_seconds": 1.0, "end_seconds": 5.0},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["section"] == {"start_seconds": 0.5, "end_seconds": 4.5}
    assert body["interpretation"]["section"]["duration_seconds"] == 30.0
    task = await ChoreographyTask.objects.aget(pk=body["task_id"])
    assert (task.parameters["start_seconds"], task.parameters["end_seconds"]) == (0.5, 4.5)
