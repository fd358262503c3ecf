"""The warm-up's list (choreography.music.coverage) against real plans: pure, no I/O.

For libraries shaped like real footage (clips from 100 to 135 BPM, 8 and 16 counts cut a
fraction of a frame short or long, an intro and an outro), every variant any plan plays (any
parameters, seed, section) is on the list, and every move within the re-timing limit is danced
within 1 % of the song's tempo."""

import itertools
import random

import pytest

from choreography.music.coverage import steps_for_song
from choreography.music.generator import (
    MoveOption,
    Parameters,
    SongFacts,
    plan_choreography,
    within_limit,
)
from choreography.music.section import boundaries, section_facts, snap_section
from choreography.music.tempo import MAX_GRID_ERROR

FPS = 30
LEVELS = ("beginner", "intermediate", "advanced")
ENERGIES = ("low", "medium", "high")
STYLES = ("romantic", "energetic", "sensual", "playful")


def footage(n: int, seed: int) -> list[MoveOption]:
    """``n`` clips like phone footage cut on counts: tempos 100-135 BPM, 8 or 16 counts."""
    rng = random.Random(seed)
    moves = []
    for i in range(n):
        tempo = round(rng.uniform(100.0, 135.0), 1)
        counts = rng.choice((1, 2))
        frames = round(counts * 480.0 / tempo * FPS + rng.uniform(-0.5, 0.5))
        role = "intro" if i < 2 else "outro" if i < 4 else "move"
        level, energy, style = rng.choice(LEVELS), rng.choice(ENERGIES), rng.choice(STYLES)
        key = f"clips/m{i}.mp4"
        moves.append(
            MoveOption(
                f"m{i}", f"M{i}", key, frames / FPS, level, energy, style, tempo, role, frames
            )
        )
    return moves


@pytest.mark.parametrize("bpm", [100.0, 118.0, 132.0])
def test_every_variant_a_plan_plays_is_on_the_warm_up_list(bpm):
    """Plans for every parameter combination, seeds and sections (from the song's start, from
    a phrase, to its end) play only listed variants, each move within 1 % of the song."""
    library = footage(40, seed=int(bpm))
    curve = tuple(random.Random(1).random() for _ in range(40))
    song = SongFacts("songs/s.m4a", 97.3, bpm, 1.37, curve)
    listed = steps_for_song(song, library, FPS)
    points = boundaries(song)
    sections = [None] + [
        snap_section(song, start_seconds=a, end_seconds=b)
        for a, b in ((points[1], None), (points[2], points[6]), (0.0, points[4]), (points[3], None))
    ]
    worst, plans = 0.0, 0
    for (level, energy, style, seed), section in itertools.product(
        itertools.product(LEVELS, ENERGIES, (None, *STYLES), range(2)), sections
    ):
        if section is not None and seed:
            continue
        facts = song if section is None else section_facts(song, section)
        plan = plan_choreography(
            task_id="t", song=facts, library=library, params=Parameters(level, energy, style, seed),
            output_key="videos/t.mp4", fps=FPS,
        )  # fmt: skip
        plans += 1
        assert plan.beyond_limit == ()
        for played in plan.timeline:
            step = played.tempo.step
            assert step == 0 or step in listed[played.move.name], (played, section)
            if within_limit(played.move, bpm):
                worst = max(worst, played.tempo_error)
    assert plans > 100
    assert worst <= MAX_GRID_ERROR
    # a few variants per move, not the grid: warming a song re-times each move once or twice
    assert sum(map(len, listed.values())) <= 2.5 * len(library)
