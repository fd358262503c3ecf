"""The demo library's metadata through the real planner (pure: no clip is rendered).

The demo songs are synthesized and analysed as ``serve`` imports them; the moves are the demo
library's metadata. A request with the default parameters widens no filter on any demo song;
at most a third of the level x energy combinations do; and no routine plays a move twice in a
row or the same pair of moves twice, over many variations (seeds).
"""

from __future__ import annotations

import itertools

import pytest

from choreography.library.demo import DEMO_SONGS, SAMPLE_RATE, song_samples
from choreography.library.demo_moves import DEMO_FRAMING, demo_move_metadata, demo_move_of
from choreography.library.figures import FIGURES
from choreography.music.analysis import analyse_samples
from choreography.music.generator import MoveOption, Parameters, SongFacts, plan_choreography
from choreography.music.vocabulary import DIFFICULTIES, ENERGY_LEVELS

FPS = 30


@pytest.fixture(scope="module")
def songs() -> list[SongFacts]:
    facts = []
    for song in DEMO_SONGS:
        analysis = analyse_samples(song_samples(song), SAMPLE_RATE, bpm=song.bpm)
        assert analysis.duration == pytest.approx(song.seconds)
        facts.append(
            SongFacts(
                f"songs/{len(facts)}.m4a",
                analysis.duration,
                analysis.bpm,
                analysis.first_beat,
                analysis.energy_curve,
            )
        )
    return facts


def library() -> list[MoveOption]:
    options = []
    for meta in [*demo_move_metadata(), *DEMO_FRAMING]:
        figure = demo_move_of(meta.name)[0]
        duration = FIGURES[figure].counts * 60.0 / meta.tempo_bpm
        options.append(
            MoveOption(
                name=meta.name,
                label=meta.label,
                clip_key=f"library/{meta.name}.mp4",
                duration=duration,
                difficulty=meta.difficulty,
                energy_level=meta.energy_level,
                style=meta.style,
                tempo_bpm=meta.tempo_bpm or 120.0,
                role=meta.role,
                frames=round(duration * FPS),
            )
        )
    return options


def plan(song: SongFacts, **params):
    return plan_choreography(
        task_id="t", song=song, library=library(), params=Parameters(**params),
        output_key="videos/t.mp4", fps=FPS,
    )  # fmt: skip


def test_the_demo_library_has_at_least_48_distinct_moves():
    names = [m.name for m in demo_move_metadata()]
    assert len(names) >= 48
    assert len(set(names)) == len(names)


def test_the_default_request_never_widens_a_filter_on_a_demo_song(songs):
    for song, seed in itertools.product(songs, range(5)):
        assert plan(song, seed=seed).relaxed_filters == (), song


def test_at_most_a_third_of_the_level_and_energy_combinations_widen_a_filter(songs):
    widened = {
        (level, energy)
        for level, energy, song in itertools.product(DIFFICULTIES, ENERGY_LEVELS, songs)
        if plan(song, difficulty=level, energy_level=energy).relaxed_filters
    }
    assert len(widened) <= len(DIFFICULTIES) * len(ENERGY_LEVELS) // 3, widened


def test_no_routine_repeats_a_move_in_a_row_or_a_pair_of_moves(songs):
    """Property over many variations, every level and energy, every demo song."""
    for song, level, energy, seed in itertools.product(
        songs, DIFFICULTIES, ENERGY_LEVELS, range(12)
    ):
        routine = plan(song, difficulty=level, energy_level=energy, seed=seed)
        names = [p.move.name for p in routine.timeline]
        pairs = list(itertools.pairwise(names))
        assert all(a != b for a, b in pairs), (song.bpm, level, energy, seed, names)
        assert len(set(pairs)) == len(pairs), (song.bpm, level, energy, seed, names)
