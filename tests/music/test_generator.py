"""Blueprint generation is a pure function: tested with synthetic libraries, no I/O."""

import itertools

import pytest

from assembly.commands import frames_for_timeline
from assembly.errors import BlueprintError
from choreography.music.generator import (
    MIN_SEGMENT_S,
    NO_REPEAT_WINDOW,
    MoveOption,
    Parameters,
    SongFacts,
    in_tempo,
    plan_choreography,
    select_pool,
)

STYLES = ("romantic", "energetic", "sensual", "playful")
LEVELS = ("beginner", "intermediate", "advanced")
ENERGIES = ("low", "medium", "high")


def phrase_s(bpm: float) -> float:
    return 480.0 / bpm


def lib(n=12, tempo=120.0, counts=(1, 2), prefix="m"):
    """``n`` moves cycling through levels, energies and styles; clips hold 1 or 2 8-counts."""
    return [
        MoveOption(
            name=f"{prefix}{i}",
            label=f"M{i}",
            clip_key=f"clips/{prefix}{i}.mp4",
            duration=counts[i % len(counts)] * phrase_s(tempo),
            difficulty=LEVELS[i % 3],
            energy_level=ENERGIES[(i // 3) % 3],
            style=STYLES[i % 4],
            tempo_bpm=tempo,
        )
        for i in range(n)
    ]


def move(name, *, tempo=120.0, counts=1, role="move", **overrides):
    fields = {"difficulty": "intermediate", "energy_level": "medium", "style": "romantic"}
    fields.update(overrides)
    return MoveOption(
        name, name.title(), f"clips/{name}.mp4", counts * phrase_s(tempo), tempo_bpm=tempo,
        role=role, **fields,
    )  # fmt: skip


def make(song_s=60.0, bpm=120.0, library=None, first_beat=0.0, curve=(), **params):
    return plan_choreography(
        task_id="t",
        song=SongFacts("songs/s.m4a", song_s, bpm, first_beat, tuple(curve)),
        library=library or lib(),
        params=Parameters(**params),
        output_key="videos/t.mp4",
    )


def boundaries(plan):
    """Times where one move ends and the next starts."""
    return [m.start_time for m in plan.blueprint.moves[1:]]


def assert_covers(plan, song_s):
    moves = plan.blueprint.moves
    assert moves[0].start_time == 0
    assert plan.blueprint.total_duration == pytest.approx(song_s, abs=1e-6)
    for a, b in itertools.pairwise(moves):
        assert b.start_time == pytest.approx(a.start_time + a.duration, abs=1e-6)
        assert a.duration > 0


@pytest.mark.parametrize("bpm", [97.3, 141.0])
def test_every_boundary_sits_on_the_8_count_grid_over_a_long_song(bpm):
    """At awkward tempos over 10 minutes, no boundary drifts off first_beat + i * phrase."""
    song_s, first, fps = 600.0, 0.37, 30
    plan = make(song_s=song_s, bpm=bpm, first_beat=first, library=lib(24, tempo=bpm))
    phrase = phrase_s(bpm)
    cuts = boundaries(plan)
    assert len(cuts) > 60
    for cut in cuts:
        index = round((cut - first) / phrase)
        assert abs(cut - (first + index * phrase)) < 2e-6
    # After the assembly's rounding to frames, each cut is within half a frame of the grid.
    ends = [m.start_time + m.duration for m in plan.blueprint.moves]
    frames = list(itertools.accumulate(frames_for_timeline(ends, fps)))
    for frame in frames[:-1]:
        assert plan.grid.nearest_error(frame / fps) <= 0.5 / fps + 1e-9
    assert frames[-1] == round(song_s * fps)


@pytest.mark.parametrize("song_s", [0.15, 0.7, 3.3, 31.0, 97.3, 240.0])
@pytest.mark.parametrize("first_beat", [0.0, 0.05, 0.37, 2.9, 9.5])
def test_moves_cover_the_whole_song_contiguously(song_s, first_beat):
    """Moves start at 0, tile the timeline and end exactly at the song's end."""
    plan = make(song_s=song_s, bpm=128.0, first_beat=first_beat)
    assert_covers(plan, song_s)


def test_body_moves_last_whole_phrases_and_never_more_than_the_clip_holds():
    """Each move after the first downbeat fills whole phrases, at most its clip's 8-counts."""
    bpm = 128.0
    plan = make(song_s=95.0, bpm=bpm, first_beat=1.1, library=lib(16, tempo=bpm, counts=(1, 2, 3)))
    body = [p for p in plan.timeline if p.section == "body"]
    for planned in body[:-1]:
        assert planned.duration == pytest.approx(planned.phrases * phrase_s(bpm), abs=2e-6)
        assert 1 <= planned.phrases <= planned.move.counts


def test_the_intro_plays_an_intro_move_that_ends_on_the_first_downbeat():
    """With an intro move in the library, it fills the time before count 1."""
    library = [*lib(12), move("walk-in", role="intro", counts=2)]
    plan = make(song_s=40.0, bpm=120.0, first_beat=1.5, library=library)
    first = plan.timeline[0]
    assert (first.move.name, first.start_time, first.duration) == ("walk-in", 0.0, 1.5)
    assert all(p.move.role == "move" for p in plan.timeline[1:])


def test_without_an_intro_move_a_calm_move_fills_the_intro():
    """No intro move: a low-energy move (one step below the request) plays until count 1."""
    plan = make(song_s=40.0, bpm=120.0, first_beat=1.5, library=lib(36), energy_level="medium")
    first = plan.timeline[0]
    assert (first.start_time, first.duration, first.section) == (0.0, 1.5, "intro")
    assert first.move.energy_level == "low"
    assert plan.timeline[1].start_time == 1.5


def test_a_long_intro_extends_the_grid_backwards():
    """Before a late first downbeat, boundaries still fall on the grid extended backwards."""
    plan = make(song_s=40.0, bpm=120.0, first_beat=9.5, library=lib(12))
    assert boundaries(plan)[0] == pytest.approx(1.5)
    for cut in boundaries(plan):
        assert plan.grid.nearest_error(cut) < 1e-6


def test_a_tiny_intro_is_merged_into_the_first_phrase():
    """A first downbeat closer to 0 than MIN_SEGMENT_S does not flash a clip for 2 frames."""
    plan = make(song_s=40.0, bpm=120.0, first_beat=MIN_SEGMENT_S / 2, library=lib(12))
    assert plan.timeline[0].section == "body"
    assert plan.grid.nearest_error(boundaries(plan)[0]) < 1e-6


def test_the_outro_move_closes_the_song():
    """An outro move takes the last phrases and the tail; it never plays elsewhere."""
    library = [*lib(12), move("final-dip", role="outro", counts=2)]
    plan = make(song_s=61.0, bpm=120.0, first_beat=0.5, library=library)
    last = plan.timeline[-1]
    assert last.move.name == "final-dip"
    assert last.section == "outro"
    assert last.start_time + last.duration == pytest.approx(61.0)
    assert last.start_time == pytest.approx(0.5 + 14 * 4.0)  # 2 counts: phrase 14 and the tail
    assert all(p.move.role == "move" for p in plan.timeline[:-1])


def test_the_tail_after_the_last_phrase_is_covered():
    """Without an outro, the last move runs into the tail or a move of its own is trimmed there."""
    plan = make(song_s=62.5, bpm=120.0, first_beat=0.0, library=lib(12, counts=(1,)))
    last = plan.timeline[-1]
    assert last.start_time == pytest.approx(60.0)
    assert last.duration == pytest.approx(2.5)


def test_same_seed_same_blueprint_and_different_seeds_differ():
    """The seed makes generation reproducible."""
    assert make(seed=7, first_beat=0.4).blueprint == make(seed=7, first_beat=0.4).blueprint
    assert make(seed=7).timeline == make(seed=7).timeline
    assert any(make(seed=7).blueprint != make(seed=s).blueprint for s in range(8, 12))


def test_no_move_twice_in_a_row_and_none_back_within_the_window():
    """With enough moves in the pool, a move returns only after NO_REPEAT_WINDOW others."""
    plan = make(song_s=120, library=lib(60), difficulty="beginner", seed=3)
    names = [p.move.name for p in plan.timeline]
    for i, name in enumerate(names):
        assert name not in names[max(0, i - NO_REPEAT_WINDOW) : i]


def names_of(plan) -> list[str]:
    return [p.move.name for p in plan.timeline]


def pairs_repeat(names: list[str]) -> bool:
    pairs = list(itertools.pairwise(names))
    return len(set(pairs)) < len(pairs)


@pytest.mark.parametrize("size", [2, 3, 4, 5, 6])
def test_a_small_pool_never_plays_a_move_twice_in_a_row(size):
    """Adversarial small pools over a long song: never the same move twice in a row."""
    pool = [move(f"p{i}") for i in range(size)]
    for seed in range(20):
        names = names_of(make(song_s=200.0, library=pool, seed=seed))
        assert all(a != b for a, b in itertools.pairwise(names)), names


@pytest.mark.parametrize("size", [3, 4, 5, 6])
def test_no_pair_of_moves_repeats_while_the_pool_allows(size):
    """``size`` moves make size * (size - 1) pairs; a routine of half as many moves (and up to
    20) repeats none, nor plays one move again before every move has played."""
    pool = [move(f"p{i}") for i in range(size)]
    length = min(20, size * (size - 1) // 2 + 1)
    for seed in range(30):
        names = names_of(make(song_s=length * 4.0, library=pool, seed=seed))
        assert len(names) == length
        assert not pairs_repeat(names), names
        assert len(set(names[:size])) == size, names


def test_a_two_move_pool_alternates():
    """Two moves: the only way not to play one twice in a row (so the pair must repeat)."""
    names = names_of(make(song_s=40.0, library=[move("a"), move("b")], seed=1))
    assert names == ["a", "b"] * 5 or names == ["b", "a"] * 5


def test_every_matching_move_plays_before_one_comes_back():
    """Eight matching moves among others: the first eight slots play each of them once."""
    wanted = {"difficulty": "advanced", "energy_level": "high", "style": "sensual"}
    matching = [move(f"x{i}", **wanted) for i in range(8)]
    for seed in range(10):
        names = names_of(make(song_s=64.0, library=lib(24) + matching, seed=seed, **wanted))
        assert sorted(names[:8]) == [f"x{i}" for i in range(8)], names


def test_repeats_only_when_asked():
    """``allow_repeats`` lets a move play twice in a row; by default it never does."""
    pool = [move("a"), move("b")]
    asked = [
        names_of(make(song_s=40.0, library=pool, seed=s, allow_repeats=True)) for s in range(10)
    ]
    assert any(a == b for names in asked for a, b in itertools.pairwise(names))
    assert Parameters().allow_repeats is False


def test_a_library_of_one_move_still_covers_the_song():
    """One move: it repeats (nothing else exists) and the song is still covered."""
    only = [move("basic-step", counts=2)]
    plan = make(song_s=45.0, first_beat=0.37, library=only, difficulty="advanced", style="sensual")
    assert {p.move.name for p in plan.timeline} == {"basic-step"}
    assert_covers(plan, 45.0)
    assert plan.relaxed_filters == ("energy_level", "style", "difficulty")


def test_a_song_shorter_than_any_move():
    """A 2.5 s song with 8 s moves: one trimmed move (or an intro piece and one)."""
    library = lib(6, counts=(2,))
    plan = make(song_s=2.5, first_beat=0.0, library=library)
    assert len(plan.timeline) == 1
    assert_covers(plan, 2.5)
    plan = make(song_s=2.5, first_beat=0.6, library=library)
    assert [p.duration for p in plan.timeline] == [0.6, 1.9]


def test_moves_match_the_parameters_when_the_library_has_them():
    """With enough matching moves, every chosen move matches all three filters."""
    matching = [
        move(f"x{i}", difficulty="advanced", energy_level="high", style="sensual") for i in range(5)
    ]
    plan = make(
        library=lib(24) + matching, difficulty="advanced", energy_level="high", style="sensual"
    )
    assert plan.relaxed_filters == ()
    for planned in plan.timeline:
        assert planned.move.name.startswith("x")


def test_legacy_styles_map_to_library_styles():
    """ "modern" means energetic or playful, "traditional" romantic or sensual."""
    library = lib(96)
    modern = make(library=library, style="modern", difficulty="beginner", energy_level="low")
    assert {p.move.style for p in modern.timeline} <= {"energetic", "playful"}
    trad = make(library=library, style="traditional", difficulty="beginner", energy_level="low")
    assert {p.move.style for p in trad.timeline} <= {"romantic", "sensual"}


def test_filters_relax_energy_then_style_then_difficulty():
    """Too few matches drop energy first, then style, then difficulty; never an empty pool."""
    library = lib(24)
    params = Parameters(difficulty="advanced", energy_level="low", style="romantic")
    pool, relaxed = select_pool(library, params)
    assert relaxed == ("energy_level", "style")
    assert {m.difficulty for m in pool} == {"advanced"}
    pool, relaxed = select_pool(library[:3], params)
    assert relaxed == ("energy_level", "style", "difficulty")
    assert len(pool) == 3


def test_tempo_outranks_style_and_energy_but_not_difficulty():
    """Style is relaxed to reach in-tempo moves; difficulty is not."""
    slow_romantic = [move(f"slow{i}", tempo=100.0, style="romantic") for i in range(6)]
    fast_playful = [move(f"fast{i}", tempo=140.0, style="playful") for i in range(12)]
    fast_advanced = [move(f"adv{i}", tempo=140.0, difficulty="advanced") for i in range(6)]
    params = Parameters(difficulty="intermediate", energy_level="medium", style="romantic")
    library = slow_romantic + fast_playful + fast_advanced
    pool, relaxed = select_pool(library, params, song_bpm=138.0)
    assert relaxed == ("energy_level", "style")
    assert {m.difficulty for m in pool} == {"intermediate"}
    plan = make(song_s=120.0, bpm=138.0, library=library, **vars(params))
    assert all(p.move.name.startswith("fast") for p in plan.timeline)


def test_moves_in_tempo_are_preferred():
    """Given in-tempo moves, the plan uses them; a ±8 % band decides."""
    library = lib(30, tempo=131.0, prefix="in") + lib(15, tempo=100.0, prefix="out")
    plan = make(song_s=120.0, bpm=125.0, library=library, difficulty="beginner")
    assert all(in_tempo(p.move, 125.0) for p in plan.timeline)
    assert in_tempo(move("edge", tempo=135.0), 125.0)
    assert not in_tempo(move("edge", tempo=135.2), 125.0)


def test_loud_phrases_get_energetic_moves_and_quiet_ones_calm_moves():
    """Phrase energy steers move energy one level around the request."""
    curve = [0.1, 0.1, 0.3, 0.3, 0.03, 0.03, 0.1, 0.1] * 3
    library = lib(60, counts=(1,))
    plan = make(song_s=len(curve) * 4.0, bpm=120.0, curve=curve, library=library)
    by_phrase = {round(p.start_time / 4.0): p.move.energy_level for p in plan.timeline}
    for index, value in enumerate(curve):
        expected = {0.1: "medium", 0.3: "high", 0.03: "low"}[value]
        assert by_phrase[index] == expected


def test_an_empty_library_or_song_is_refused():
    with pytest.raises(ValueError, match="library is empty"):
        plan_choreography(
            task_id="t",
            song=SongFacts("songs/s.m4a", 10.0, 120.0),
            library=[],
            params=Parameters(),
            output_key="videos/t.mp4",
        )
    with pytest.raises(ValueError, match="no duration"):
        make(song_s=0.0)


def test_a_relaxed_filter_only_widens_the_pool_matching_moves_still_come_first():
    """Two romantic moves are too few (style relaxed), yet they play more often than any other,
    as often as the repeat rules allow (never twice in a row, no pair twice)."""
    romantic = [move(f"rom{i}", style="romantic") for i in range(2)]
    others = [move(f"oth{i}", style="playful") for i in range(6)]
    for seed in range(10):
        plan = make(song_s=80.0, library=others + romantic, style="romantic", seed=seed)
        assert plan.relaxed_filters == ("energy_level", "style")
        names = names_of(plan)
        assert names[:2] in (["rom0", "rom1"], ["rom1", "rom0"])
        counts = {name: names.count(name) for name in set(names)}
        assert min(counts["rom0"], counts["rom1"]) > max(
            n for name, n in counts.items() if name.startswith("oth")
        )
        assert not pairs_repeat(names)


@pytest.mark.parametrize(
    ("song_key", "clip_prefix", "output_key", "field"),
    [
        ("songs/s.m4a", "../", "videos/t.mp4", "moves.0.video_path"),
        ("/srv/songs/s.m4a", "m", "videos/t.mp4", "audio_path"),
        ("songs/s.m4a", "m", "videos\\t.mp4", "output_config.output_path"),
    ],
)
def test_a_bad_stored_key_is_a_blueprint_error_naming_the_field(
    song_key, clip_prefix, output_key, field
):
    """A library key the blueprint refuses fails planning as a BlueprintError (a 400), not a 500."""
    with pytest.raises(BlueprintError) as caught:
        plan_choreography(
            task_id="t",
            song=SongFacts(song_key, 60.0, 120.0, 0.0, ()),
            library=lib(prefix=clip_prefix),
            params=Parameters(),
            output_key=output_key,
        )
    assert field in caught.value.message
    assert "invalid storage key" in caught.value.details


def test_a_move_beyond_the_retiming_limit_plays_only_when_nothing_else_is():
    """At 132 BPM a 100 BPM clip needs +32 % (past ±30 %): with moves within reach in the
    library (even of another style, another level), it is never chosen, intro and outro
    included; alone, it plays and the plan names it."""
    far = [move(f"far{i}", tempo=100.0, style="playful") for i in range(6)]
    near = [move(f"near{i}", tempo=104.0, difficulty="advanced") for i in range(6)]
    specials = [
        move("far-intro", tempo=100.0, role="intro"),
        move("near-intro", tempo=110.0, role="intro"),
        move("far-outro", tempo=100.0, role="outro"),
        move("near-outro", tempo=110.0, role="outro"),
    ]
    for seed in range(5):
        plan = make(
            song_s=60.0, bpm=132.0, first_beat=2.0, library=far + near + specials,
            style="playful", difficulty="intermediate", seed=seed,
        )  # fmt: skip
        names = {p.move.name for p in plan.timeline}
        assert names and not any(name.startswith("far") for name in names)
        assert {"near-intro", "near-outro"} <= names
        assert plan.beyond_limit == ()
        assert max(p.tempo_error for p in plan.timeline) <= 0.01
    alone = make(song_s=60.0, bpm=132.0, library=far)
    assert set(alone.beyond_limit) == {p.move.name for p in alone.timeline}
    assert min(p.tempo_error for p in alone.timeline) > 0.01
