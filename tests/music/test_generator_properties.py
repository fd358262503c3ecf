"""Property-based tests (hypothesis): the grid invariants hold for any song, library and seed."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from assembly.commands import frames_for_timeline
from choreography.music.generator import (
    MIN_SEGMENT_S,
    MoveOption,
    Parameters,
    SongFacts,
    plan_choreography,
    playable,
    song_tempo,
)

LEVELS = ("beginner", "intermediate", "advanced")
ENERGIES = ("low", "medium", "high")
STYLES = ("romantic", "energetic", "sensual", "playful")


@st.composite
def libraries(draw):
    size = draw(st.integers(1, 14))
    moves = []
    for i in range(size):
        moves.append(
            MoveOption(
                name=f"m{i}",
                label=f"M{i}",
                clip_key=f"clips/{i}.mp4",
                duration=draw(st.floats(0.5, 20.0)),
                difficulty=draw(st.sampled_from(LEVELS)),
                energy_level=draw(st.sampled_from(ENERGIES)),
                style=draw(st.sampled_from(STYLES)),
                tempo_bpm=draw(st.sampled_from([0.0, 90.0, 112.0, 120.0, 128.0, 141.0, 150.0])),
                role=draw(st.sampled_from(["move"] * 6 + ["intro", "outro"])),
            )
        )
    return moves


songs = st.builds(
    SongFacts,
    audio_key=st.just("songs/s.m4a"),
    duration=st.floats(0.05, 900.0),
    bpm=st.floats(60.0, 200.0),
    first_beat=st.floats(0.0, 15.0),
    energy_curve=st.lists(st.floats(0.0, 1.0), max_size=60).map(tuple),
)
parameters = st.builds(
    Parameters,
    difficulty=st.sampled_from(LEVELS),
    energy_level=st.sampled_from(ENERGIES),
    style=st.sampled_from([None, *STYLES, "modern", "traditional"]),
    seed=st.integers(0, 2**31 - 1),
)


def plan(song, library, params):
    return plan_choreography(
        task_id="t", song=song, library=library, params=params, output_key="videos/t.mp4"
    )


@settings(max_examples=200, deadline=None)
@given(song=songs, library=libraries(), params=parameters)
def test_grid_invariants(song, library, params):
    """Coverage, grid alignment (exact and after frame rounding), whole phrases, no repeats."""
    result = plan(song, library, params)
    moves = result.blueprint.moves
    grid = result.grid
    phrase = grid.phrase

    # The whole song is covered, contiguously, from 0.
    assert moves[0].start_time == 0
    assert abs(result.blueprint.total_duration - song.duration) < 2e-6
    for a, b in itertools.pairwise(moves):
        assert abs(b.start_time - (a.start_time + a.duration)) < 2e-6

    # Every cut between two moves is on the 8-count grid (extended backwards into an intro).
    for cut in (m.start_time for m in moves[1:]):
        assert grid.nearest_error(cut) < 2e-6

    # After the assembly's frame rounding: each cut within half a frame, the total exact.
    ends = [m.start_time + m.duration for m in moves]
    for fps in (24, 30, 60):
        frames = list(itertools.accumulate(frames_for_timeline(ends, fps)))
        # The blueprint's end (equal to the song's within 2e-6 s, checked above) is what the
        # assembly rounds; the song's own length may sit on the other side of a half frame.
        assert frames[-1] == round(ends[-1] * fps)
        assert abs(frames[-1] - song.duration * fps) <= 0.5 + 2e-6 * fps
        for frame in frames[:-1]:
            assert grid.nearest_error(frame / fps) <= 0.5 / fps + 2e-6

    # Moves in the middle last whole phrases, never more than their clip's 8-counts.
    for planned in result.timeline[1:-1]:
        if planned.section == "body":
            assert abs(planned.duration - planned.phrases * phrase) < 2e-6
            assert 1 <= planned.phrases <= planned.move.counts
        assert planned.duration >= MIN_SEGMENT_S - 2e-6 or planned.duration >= phrase

    # No move twice in a row when the body has a choice (of moves within the re-timing limit).
    body = playable([m for m in library if m.role == "move"], song_tempo(song.bpm))
    body_names = {m.name for m in body}
    if len(body_names) >= 2:
        names = [p.move.name for p in result.timeline if p.section != "outro"]
        assert all(a != b for a, b in itertools.pairwise(names))

    # Same inputs, same plan.
    assert plan(song, library, params) == result
