"""Blueprint generation is a pure function: tested with synthetic libraries, no I/O."""

import itertools

import pytest

from choreography.generator import MoveOption, Parameters, SongFacts, plan_choreography, select_pool


def lib(n=12, duration=4.0):
    styles = ("romantic", "energetic", "sensual", "playful")
    levels = ("beginner", "intermediate", "advanced")
    energies = ("low", "medium", "high")
    return [
        MoveOption(
            name=f"m{i}",
            label=f"M{i}",
            clip_key=f"clips/{i}.mp4",
            duration=duration + (i % 3),
            difficulty=levels[i % 3],
            energy_level=energies[(i // 3) % 3],
            style=styles[i % 4],
        )
        for i in range(n)
    ]


def make(song_s=60.0, bpm=120.0, library=None, **params):
    return plan_choreography(
        task_id="t",
        song=SongFacts("songs/s.m4a", song_s, bpm),
        library=library or lib(),
        params=Parameters(**params),
        output_key="videos/t.mp4",
    )


@pytest.mark.parametrize("song_s", [0.7, 3.3, 31.0, 97.3, 240.0])
def test_moves_cover_the_whole_song_contiguously(song_s):
    """Moves start at 0, tile the timeline and end exactly at the song's end."""
    plan = make(song_s=song_s)
    moves = plan.blueprint.moves
    assert moves[0].start_time == 0
    assert plan.blueprint.total_duration == pytest.approx(song_s, abs=1e-6)
    for a, b in itertools.pairwise(moves):
        assert b.start_time == pytest.approx(a.start_time + a.duration, abs=1e-6)


def test_same_seed_same_blueprint_and_different_seeds_differ():
    """The seed makes generation reproducible."""
    assert make(seed=7).blueprint == make(seed=7).blueprint
    assert any(make(seed=7).blueprint != make(seed=s).blueprint for s in range(8, 12))


def test_no_move_twice_in_a_row():
    """Consecutive moves differ whenever the pool has more than one move."""
    names = [p.move.name for p in make(song_s=240, difficulty="beginner").timeline]
    assert all(a != b for a, b in itertools.pairwise(names))


def test_moves_match_the_parameters_when_the_library_has_them():
    """With enough matching moves, every chosen move matches all three filters."""
    matching = [
        MoveOption(f"x{i}", f"X{i}", f"clips/x{i}.mp4", 4.0, "advanced", "high", "sensual")
        for i in range(4)
    ]
    library = lib(24) + matching
    plan = make(library=library, difficulty="advanced", energy_level="high", style="sensual")
    assert plan.relaxed_filters == ()
    for planned in plan.timeline:
        assert planned.move.difficulty == "advanced"
        assert planned.move.energy_level == "high"
        assert planned.move.style == "sensual"


def test_legacy_styles_map_to_library_styles():
    """ "modern" means energetic or playful, "traditional" romantic or sensual."""
    library = lib(48)
    modern = make(library=library, style="modern", difficulty="beginner", energy_level="low")
    assert {p.move.style for p in modern.timeline} <= {"energetic", "playful"}
    trad = make(library=library, style="traditional", difficulty="beginner", energy_level="low")
    assert {p.move.style for p in trad.timeline} <= {"romantic", "sensual"}


def test_filters_relax_in_a_documented_order():
    """Too few matches drop energy first, then style, then difficulty; never an empty plan."""
    library = lib(12)
    pool, relaxed = select_pool(
        library, Parameters(difficulty="advanced", energy_level="low", style="romantic")
    )
    assert relaxed[0] == "energy_level"
    assert len(pool) >= 3
    plan = make(library=library[:1], style="sensual")
    assert {p.move.name for p in plan.timeline} == {"m0"}


def test_durations_follow_whole_phrases_when_clips_allow():
    """At 120 BPM a phrase is 4 s; moves last whole phrases except the final one."""
    plan = make(song_s=61.0, bpm=120.0, library=lib(12, duration=8.5))
    for planned in plan.timeline[:-1]:
        assert planned.duration / 4.0 == pytest.approx(round(planned.duration / 4.0))
