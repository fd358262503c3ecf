"""A section of a song (choreography.music.section): snapped to phrase boundaries, pure."""

import pytest

from choreography.music.generator import MoveOption, Parameters, SongFacts, plan_choreography
from choreography.music.section import Section, boundaries, section_facts, snap_section

SONG = SongFacts(
    audio_key="songs/s.m4a", duration=130.0, bpm=120.0, first_beat=1.0,
    energy_curve=tuple(float(i) for i in range(33)),
)  # fmt: skip
"""120 bpm: a phrase (8 beats) is 4 s; phrases start at 1, 5, 9, ... 129."""


def test_boundaries_are_the_songs_ends_and_every_phrase_start():
    """0, the first downbeat, every 4 s after it, and the song's end."""
    points = boundaries(SONG)
    assert points[:4] == [0.0, 1.0, 5.0, 9.0]
    assert points[-2:] == [129.0, 130.0]
    assert len(points) == 2 + 33


@pytest.mark.parametrize(
    ("ask", "section"),
    [
        ({"start_seconds": 30, "end_seconds": 90}, Section(29.0, 89.0)),
        ({"start_seconds": 31.2, "end_seconds": 91.4}, Section(33.0, 93.0)),
        ({"start_seconds": 31.0, "end_seconds": 91.0}, Section(33.0, 93.0)),  # ties: the later
        ({"start_seconds": 0.2}, Section(0.0, 130.0)),
        ({"start_seconds": 60}, Section(61.0, 130.0)),
        ({"end_seconds": 60}, Section(0.0, 61.0)),
        ({"duration_seconds": 60}, Section(1.0, 61.0)),
        ({"duration_seconds": 90.5}, Section(1.0, 93.0)),
        ({"start_seconds": 40, "end_seconds": 40.5}, Section(41.0, 45.0)),  # one phrase at least
        ({"end_seconds": 130.3}, Section(0.0, 130.0)),
    ],
)
def test_each_end_moves_to_the_nearest_phrase_boundary(ask, section):
    """Start and end land on the nearest boundary; duration counts from the first downbeat."""
    result = snap_section(SONG, **ask)
    assert result == (None if section == Section(0.0, 130.0) else section)


def test_no_section_or_the_whole_song_is_none():
    """Nothing asked, or a section that is the whole song: plan the song as before."""
    assert snap_section(SONG) is None
    assert snap_section(SONG, start_seconds=0, end_seconds=130) is None


@pytest.mark.parametrize(
    ("ask", "message"),
    [
        (
            {"start_seconds": 130},
            "start_seconds (130) is at or after the end of the song (130.00 s)",
        ),
        ({"end_seconds": 131}, "end_seconds (131.00 s) is after the end of the song (130.00 s)"),
        (
            {"duration_seconds": 200},
            "plus duration_seconds (201.00 s) is after the end of the song",
        ),
        ({"start_seconds": 50, "end_seconds": 40}, "end_seconds (40) must be after start_seconds"),
        ({"start_seconds": 5, "duration_seconds": 40}, "not both"),
    ],
)
def test_a_section_the_song_does_not_have_is_refused_saying_why(ask, message):
    """Each impossible section is a ValueError whose message says what is wrong."""
    with pytest.raises(ValueError) as caught:
        snap_section(SONG, **ask)
    assert message in str(caught.value)


def test_section_facts_make_the_section_a_song_of_its_own():
    """From a phrase start: grid from 0, the section's length, its phrases' energy."""
    facts = section_facts(SONG, Section(29.0, 89.0))
    assert (facts.duration, facts.first_beat, facts.bpm) == (60.0, 0.0, 120.0)
    assert facts.energy_curve[:2] == (7.0, 8.0)  # phrase 7 starts at 1 + 7 * 4 = 29 s
    intro = section_facts(SONG, Section(0.0, 61.0))
    assert (intro.duration, intro.first_beat, intro.energy_curve[0]) == (61.0, 1.0, 0.0)


def test_a_plan_of_a_section_starts_the_song_there():
    """The planner tiles the section from 0 and tells the assembly where the song starts."""
    library = [
        MoveOption(f"m{i}", f"M{i}", f"clips/{i}.mp4", 8.0, "beginner", "medium", "romantic")
        for i in range(6)
    ]
    plan = plan_choreography(
        task_id="t",
        song=section_facts(SONG, Section(29.0, 89.0)),
        library=library,
        params=Parameters(difficulty="beginner"),
        output_key="videos/t.mp4",
        audio_start=29.0,
    )
    assert plan.blueprint.audio_start == 29.0
    assert plan.blueprint.total_duration == pytest.approx(60.0)
    assert all(round(m.start_time, 6) % 4 == 0 for m in plan.blueprint.moves)
