"""POST /api/choreography/generate/ with a section of the song: real FFmpeg, in-process."""

import json
import subprocess

import numpy as np
import pytest
from django.conf import settings

from choreography.accounts.tokens import issue_token
from choreography.models import ChoreographyTask, Song
from tests.clients import TokenClient, media_path
from tests.helpers import decode_errors, streams

pytestmark = pytest.mark.django_db(transaction=True)

RATE = 8000


@pytest.fixture
async def client(transactional_db):
    return TokenClient(await issue_token("alice"))


@pytest.fixture
async def song(library):
    """The 6.5 s library song on a known grid: 120 bpm from 0.5 s, so phrases (4 s) start at
    0.5 and 4.5 and the boundaries are 0, 0.5, 4.5 and the song's end."""
    song, _ = library
    await Song.objects.filter(pk=song.pk).aupdate(bpm=120.0, first_beat_seconds=0.5)
    return await Song.objects.aget(pk=song.pk)


async def generate(client, song, **body):
    return await client.post(
        "/api/choreography/generate/", {"song_id": song.id, **body}, content_type="application/json"
    )


def pcm(path, start: float = 0.0) -> np.ndarray:
    """``path``'s audio from ``start``, mono at 8 kHz."""
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ss", str(start), "-map", "0:a:0",
         "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.int16).astype(np.float64)


def first_beep(samples: np.ndarray) -> float:
    """When (s) the first beep of the library song's tone sounds in ``samples``: its beeps are
    at 4 times the tone's pitch, so they are where the sample-to-sample change is largest
    (10 ms windows over the first second)."""
    change = np.diff(samples[: RATE + 1]) ** 2
    windows = change[: len(change) // 80 * 80].reshape(-1, 80).sum(axis=1)
    return float(np.argmax(windows)) * 0.01


@pytest.mark.parametrize(
    ("ask", "start", "end"),
    [
        ({"start_seconds": 4.0}, 4.5, "the song's end"),
        ({"start_seconds": 1.0, "end_seconds": 5.0}, 0.5, 4.5),
        ({"duration_seconds": 3.0}, 0.5, 4.5),
    ],
)
async def test_a_section_gives_a_video_of_that_part_on_phrase_boundaries(
    client, song, ask, start, end
):
    """The video lasts the snapped section, its song starts at the section's start, and the
    response and the task row say which section it is."""
    end = song.duration_seconds if end == "the song's end" else end
    response = await generate(client, song, **ask)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["section"] == {"start_seconds": start, "end_seconds": end}
    assert body["duration_seconds"] == pytest.approx(end - start, abs=1 / 30)
    path = media_path(body["video_url"])
    info = streams(path)
    assert int(info["video"]["nb_read_packets"]) == round((end - start) * 30)
    assert float(info["audio"]["duration"]) == pytest.approx(end - start, abs=0.05)
    assert decode_errors(path) == ""
    song_from_start = pcm(settings.MEDIA_ROOT / song.audio_key, start)
    assert first_beep(pcm(path)) == pytest.approx(first_beep(song_from_start), abs=0.03)
    assert first_beep(pcm(path)) == pytest.approx(0.5, abs=0.03)  # beeps on the song's seconds
    assert body["moves"][0]["start_time"] == 0
    assert sum(m["duration"] for m in body["moves"]) == pytest.approx(end - start)
    task = await ChoreographyTask.objects.aget(pk=body["task_id"])
    assert (task.parameters["start_seconds"], task.parameters["end_seconds"]) == (start, end)
    assert task.result["blueprint"]["audio_start"] == start


async def test_the_whole_song_asked_as_a_section_is_the_plain_generation(client, song):
    """start 0 to the song's end is no section: no audio_start, section null."""
    body = (await generate(client, song, start_seconds=0, end_seconds=6.6)).json()
    assert body["section"] is None
    task = await ChoreographyTask.objects.aget(pk=body["task_id"])
    assert "audio_start" not in task.result["blueprint"]
    assert "start_seconds" not in task.parameters


@pytest.mark.parametrize(
    ("ask", "fragment"),
    [
        ({"start_seconds": 7}, "start_seconds (7) is at or after the end of the song (6.50 s)"),
        ({"end_seconds": 30}, "end_seconds (30.00 s) is after the end of the song (6.50 s)"),
        ({"duration_seconds": 20}, "duration_seconds (20.50 s) is after the end of the song"),
        ({"start_seconds": 4, "end_seconds": 2}, "end_seconds (2) must be after start_seconds (4)"),
        ({"start_seconds": 1, "duration_seconds": 2}, "not both"),
        ({"start_seconds": -1}, "greater than or equal to 0"),
        ({"end_seconds": "60"}, "end_seconds"),
    ],
)
async def test_a_section_the_song_does_not_have_is_a_clear_400(client, song, ask, fragment):
    """A section outside the song, backwards, said two ways or mistyped: 400 saying why,
    and no task row."""
    response = await generate(client, song, **ask)
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"error", "details", "stage"}
    assert fragment in json.dumps(body)
    assert await ChoreographyTask.objects.acount() == 0


async def test_retry_gives_back_the_section(client, song):
    """The retry parameters of a section's attempt carry its start and end."""
    body = (await generate(client, song, duration_seconds=3.0)).json()
    retry = await client.post(f"/api/choreography/history/{body['task_id']}/retry/")
    assert retry.status_code == 200, retry.content
    assert (retry.json()["start_seconds"], retry.json()["end_seconds"]) == (0.5, 4.5)
