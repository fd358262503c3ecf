"""The built-in interpreter (choreography.describe.interpreter): pure, no database."""

from __future__ import annotations

import json

import pytest

from choreography.describe.evaluation import EVAL_SET, FIELDS, evaluate, load
from choreography.describe.interpretation import NotUnderstood
from choreography.describe.interpreter import interpret

CATALOG, CASES = load()


def read(text: str):
    return interpret(text, CATALOG)


def test_the_evaluation_set_passes_its_bar_on_every_field():
    """At least 95 % of every field is right on the evaluation set."""
    score = evaluate(interpret)
    shares = {name: score.share(name) for name in FIELDS}
    assert all(share >= 0.95 for share in shares.values()), (shares, score.misses[:20])


def test_the_evaluation_set_is_large_and_bilingual():
    """At least 150 phrasings, some Spanish (accents or ñ) and some with typos."""
    assert len(CASES) >= 150
    texts = [case["text"] for case in CASES]
    assert sum(any(c in text for c in "áéíóúñ") for text in texts) >= 20
    assert len(EVAL_SET.read_text().splitlines()) == len(CASES) + 1
    assert all(set(case["expect"]) == set(FIELDS) for case in CASES)
    assert json.loads(EVAL_SET.read_text().splitlines()[0])["catalog"]


def test_the_issue_example_is_read_field_by_field_with_its_words():
    """The description "something romantic and slow for beginners, about a minute, to Bubalu"."""
    got = read("something romantic and slow for beginners, about a minute, to Bubalu")
    assert (got.song.title, got.song.assumed, got.song.words) == ("Bubalú", False, ["Bubalu"])
    assert (got.difficulty.value, got.difficulty.words) == ("beginner", ["beginners"])
    assert (got.style.value, got.style.words) == ("romantic", ["romantic"])
    assert (got.tempo.value, got.energy_level.value, got.energy_level.assumed) == (
        "slow",
        "low",
        True,
    )
    assert got.section_fields() == {"duration_seconds": 60.0}
    assert got.section.words == ["a minute"]
    assert got.interpreter == "built-in"
    assert any("energy" in a for a in got.assumptions)
    assert got.steps[0].startswith('read "Bubalu" as the song «Bubalú»')


def test_spanish_with_and_without_accents_reads_the_same():
    """The description "lento, romántico, para principiantes" and its unaccented spelling agree."""
    one = read("lento, romántico, para principiantes")
    two = read("LENTO, ROMANTICO, PARA PRINCIPIANTES")
    for got in (one, two):
        assert (got.difficulty.value, got.style.value, got.tempo.value) == (
            "beginner",
            "romantic",
            "slow",
        )
    assert one.song.id == two.song.id == min(CATALOG, key=lambda s: s.bpm).id


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("not too hard", "difficulty", "intermediate"),
        ("nada sensual", "style", "romantic"),
        ("no muy intenso", "energy_level", "medium"),
        ("romantic but not slow", "style", "romantic"),
        ("sensaul", "style", "sensual"),
        ("principinates", "difficulty", "beginner"),
    ],
)
def test_negations_and_typos(text, field, value):
    """A negation turns the next known word into its opposite; typos of long words are read."""
    assert getattr(read(text), field).value == value


@pytest.mark.parametrize(
    ("text", "section"),
    [
        ("two minutes", {"duration_seconds": 120.0}),
        ("90 segundos", {"duration_seconds": 90.0}),
        ("the first minute", {"duration_seconds": 60.0}),
        ("un minuto y medio", {"duration_seconds": 90.0}),
        ("cuarenta y cinco segundos", {"duration_seconds": 45.0}),
        ("1:30", {"duration_seconds": 90.0}),
        ("from 0:30 to 1:30", {"start_seconds": 30.0, "end_seconds": 90.0}),
        ("entre 1 y 2 minutos", {"start_seconds": 60.0, "end_seconds": 120.0}),
    ],
)
def test_numbers_in_words_and_digits(text, section):
    """Lengths and stretches, written in words or digits, in English or Spanish."""
    assert read(text).section_fields() == section


def test_a_tempo_in_bpm_picks_the_nearest_song_and_is_not_a_length():
    """The description "around 146 bpm": the song nearest 146 BPM; "beats per minute" is no length."""
    got = read("around 146 bpm")
    assert got.song.bpm == 146 and got.tempo.value == "146 bpm"
    assert read("113 beats per minute").section_fields() == {}


def test_fast_and_slow_pick_the_ends_of_the_catalog():
    """With no song named, "fast" picks the fastest song and "slow" the slowest."""
    bpms = [song.bpm for song in CATALOG]
    assert read("fast").song.bpm == max(bpms)
    assert read("slow").song.bpm == min(bpms)
    assert "you named no song" in read("slow").song.why


def test_an_artist_limits_the_choice_to_their_songs():
    """The description "something by Aventura, lento": Aventura's slowest song."""
    got = read("something by Aventura, lento")
    aventura = [song for song in CATALOG if song.artist == "Aventura"]
    assert got.song.id == min(aventura, key=lambda s: s.bpm).id


def test_unknown_words_are_ignored():
    """Words the interpreter does not know change nothing."""
    plain = read("sensual, advanced").model_dump(exclude={"text", "steps"})
    noisy = read("zorglub sensual, wibble advanced quux").model_dump(exclude={"text", "steps"})
    assert plain == noisy


@pytest.mark.parametrize("text", ["", "   ", "asdf qwer zxcv", "!!!", "the and of"])
def test_empty_or_nonsense_text_is_not_understood(text):
    """Nothing known in the text: NotUnderstood (the API answers 400)."""
    with pytest.raises(NotUnderstood):
        read(text)


def test_an_empty_catalog_still_reads_the_parameters():
    """No songs: the parameters are read, the song is null and says why."""
    got = interpret("easy and romantic", [])
    assert got.song.id is None and "no songs" in got.song.why
    assert got.difficulty.value == "beginner"
