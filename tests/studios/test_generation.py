"""Generate from a studio's library: "studio", "both" (the studio's moves preferred) and
"public" (studio clips never leak into it), for the instructor and students only."""

from __future__ import annotations

import dataclasses

import pytest

from choreography.models import ChoreographyTask
from choreography.music.generator import MoveOption, Parameters, SongFacts, plan_choreography
from choreography.studios.models import StudioMove

JSON = "application/json"


def options(n: int, preferred: set[str]) -> list[MoveOption]:
    """``n`` interchangeable intermediate moves of one 8-count at 120 BPM."""
    return [
        MoveOption(
            name=f"m{i}",
            label=f"M{i}",
            clip_key=f"clips/m{i}.mp4",
            duration=4.0,
            difficulty="intermediate",
            energy_level="medium",
            style="romantic",
            tempo_bpm=120.0,
            preferred=f"m{i}" in preferred,
        )
        for i in range(n)
    ]


def body_names(library: list[MoveOption], seed: int) -> list[str]:
    plan = plan_choreography(
        task_id="t",
        song=SongFacts("songs/s.m4a", 40.0, 120.0),
        library=library,
        params=Parameters(seed=seed),
        output_key="videos/t.mp4",
    )
    return [p.move.name for p in plan.timeline if p.section == "body"]


@pytest.mark.parametrize("seed", range(5))
def test_preferred_moves_are_danced_first_and_again_when_the_window_allows(seed):
    """Two preferred moves among ten: they open the routine and come back as soon as the repeat
    window lets them; without the flag the same seed picks others."""
    preferred = {"m3", "m7"}
    names = body_names(options(10, preferred), seed)
    assert set(names[:2]) == preferred
    assert sum(name in preferred for name in names) >= len(names) // 3
    plain = body_names([dataclasses.replace(o, preferred=False) for o in options(10, set())], seed)
    assert sum(name in preferred for name in plain) < sum(name in preferred for name in names)


def test_a_preferred_move_does_not_beat_the_requested_difficulty():
    """Difficulty ranks first: a preferred advanced move waits behind matching public moves."""
    library = options(6, set())
    library.append(
        dataclasses.replace(library[0], name="hard", difficulty="advanced", preferred=True)
    )
    names = body_names(library, 1)
    assert names[0] != "hard"


@pytest.fixture
async def studio_library(library, studios):
    """The imported library, moves 0 and 1 made studio A's (ready), move 2 A's but not ready."""
    song, moves = library
    for move, status in ((moves[0], "ready"), (moves[1], "ready"), (moves[2], "analysing")):
        await StudioMove.objects.acreate(
            studio=studios.studio_a, clip=move, label=move.label, status=status,
            difficulty=move.difficulty, energy_level=move.energy_level, style=move.style,
        )  # fmt: skip
    return song, moves


async def generate(client, song, **body):
    return await client.post(
        "/api/choreography/generate/", {"song_id": song.pk, "seed": 3, **body}, content_type=JSON
    )


def danced(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {move["name"] for move in response.json()["moves"]}


@pytest.mark.django_db(transaction=True)
async def test_studio_public_and_both_draw_on_the_right_moves(studio_library, studios):
    """Library "studio": only A's ready moves (for A's student too); "public": none of A's clips;
    "both": A's moves come first."""
    song, _ = studio_library
    a = studios
    studio_names = {"move-0", "move-1"}
    for who in (a.teacher_a, a.student_a):
        names = danced(await generate(who.client, song, library="studio", studio_id=a.studio_a.pk))
        assert names <= studio_names, names
    public = danced(await generate(a.outsider.client, song))
    assert not public & {"move-0", "move-1", "move-2"}, public
    both = await generate(a.student_a.client, song, library="both", studio_id=a.studio_a.pk,
                          difficulty="beginner")  # fmt: skip
    assert studio_names <= danced(both), both.json()["moves"]
    assert both.json()["moves"][0]["name"] in studio_names
    row = await ChoreographyTask.objects.aget(pk=both.json()["task_id"])
    assert row.parameters["library"] == "both"
    assert row.parameters["studio_id"] == a.studio_a.pk


@pytest.mark.django_db(transaction=True)
async def test_a_studio_the_caller_is_not_in_is_404_and_a_missing_studio_id_400(
    studio_library, studios
):
    """The outsider and studio B's people get 404 for studio A's library; "studio" without a
    studio_id is a 400 naming it; a studio with no ready move says so."""
    song, _ = studio_library
    a = studios
    for who in (a.outsider, a.teacher_b, a.student_b):
        for library in ("studio", "both"):
            response = await generate(who.client, song, library=library, studio_id=a.studio_a.pk)
            assert response.status_code == 404, (who.user, library, response.content)
    missing = await generate(a.teacher_a.client, song, library="studio")
    assert missing.status_code == 400 and "studio_id" in missing.json()["error"]
    empty = await generate(a.teacher_b.client, song, library="studio", studio_id=a.studio_b.pk)
    assert empty.status_code == 400
    assert "has no move ready" in empty.json()["error"]
