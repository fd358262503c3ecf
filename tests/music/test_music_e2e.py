"""End to end: an analysed click track and tempo-tagged clips through the API to a video whose
every frame comes from the clip the blueprint put there, cut exactly on the 8-count grid."""

import pytest
from django.conf import settings
from django.test import AsyncClient

from assembly.commands import frames_for_timeline
from choreography.accounts.tokens import issue_token
from choreography.library.imports import ClipMetadata, import_clip, import_song
from choreography.models import ChoreographyTask
from tests.conftest import FMT
from tests.helpers import decode_errors, frame_colors, make_click_track, make_solid_clip, streams

pytestmark = pytest.mark.django_db(transaction=True)

BPM, FIRST_BEAT, SONG_S = 97.3, 0.37, 14.0
COLORS = {
    "red": (255, 0, 0),
    "lime": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "magenta": (255, 0, 255),
    "cyan": (0, 255, 255),
    "white": (255, 255, 255),
}


@pytest.fixture(scope="session")
def e2e_media(media_dir):
    folder = media_dir / "e2e"
    folder.mkdir()
    song = make_click_track(folder / "song.m4a", BPM, FIRST_BEAT, SONG_S)
    one_count = round(480 / BPM * FMT.fps)  # frames in one 8-count at the clips' tempo
    clips = {
        color: make_solid_clip(folder / f"{color}.mp4", one_count, FMT, color) for color in COLORS
    }
    return song, clips


def nearest(rgb):
    return min(
        COLORS, key=lambda name: sum((a - b) ** 2 for a, b in zip(rgb, COLORS[name], strict=True))
    )


async def test_the_video_follows_the_blueprint_frame_by_frame(e2e_media, runtime):
    song_file, clips = e2e_media
    song, _ = await import_song(song_file, title="Click 97.3", runtime=runtime)
    assert song.bpm == pytest.approx(BPM, abs=0.5)
    assert song.first_beat_seconds == pytest.approx(FIRST_BEAT, abs=0.02)
    for color, path in clips.items():
        role = "intro" if color == "white" else "move"
        await import_clip(
            path,
            ClipMetadata(color, color.title(), "beginner", "medium", "romantic", 97.0, role),
            runtime=runtime,
        )

    client, token = AsyncClient(), await issue_token("e2e")

    async def generate():
        return await client.post(
            "/api/choreography/generate/",
            {"song_id": song.id, "difficulty": "beginner", "seed": 11},
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    response = await generate()
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["seed"] == 11
    timeline = body["moves"]
    assert set(timeline[0]) == {
        "name", "label", "start_time", "duration", "difficulty", "energy_level", "style",
        "tempo_error_percent",
    }  # fmt: skip
    assert timeline[0]["name"] == "white"  # the intro move, until the first downbeat
    assert timeline[1]["start_time"] == pytest.approx(song.first_beat_seconds, abs=1e-6)

    # Every cut is on the song's 8-count grid.
    phrase = 480 / song.bpm
    for entry in timeline[1:]:
        index = round((entry["start_time"] - song.first_beat_seconds) / phrase)
        assert entry["start_time"] == pytest.approx(
            song.first_beat_seconds + index * phrase, abs=1e-5
        )

    # The video has exactly the blueprint's frames, each from the planned clip.
    task = await ChoreographyTask.objects.aget(pk=body["task_id"])
    moves = task.result["blueprint"]["moves"]
    ends = [m["start_time"] + m["duration"] for m in moves]
    counts = frames_for_timeline(ends, FMT.fps)
    expected = [
        name
        for entry, count in zip(timeline, counts, strict=True)
        for name in [entry["name"]] * count
    ]
    video = settings.MEDIA_ROOT / task.result["video_key"]
    assert int(streams(video)["video"]["nb_read_packets"]) == len(expected)
    assert len(expected) == round(song.duration_seconds * FMT.fps)
    assert [nearest(rgb) for rgb in frame_colors(video)] == expected
    assert decode_errors(video) == ""

    # Same seed, same choreography.
    assert (await generate()).json()["moves"] == timeline
