"""Every word of the vocabulary has one line describing it, written once."""

from choreography.music.vocabulary import (
    DIFFICULTIES,
    DIFFICULTY_DESCRIPTIONS,
    ENERGY_DESCRIPTIONS,
    ENERGY_LEVELS,
    STYLE_DESCRIPTIONS,
    STYLES,
)


def test_each_level_energy_and_style_has_a_distinct_one_line_description():
    for words, descriptions in (
        (DIFFICULTIES, DIFFICULTY_DESCRIPTIONS),
        (ENERGY_LEVELS, ENERGY_DESCRIPTIONS),
        (STYLES, STYLE_DESCRIPTIONS),
    ):
        assert set(descriptions) == set(words)
        lines = [descriptions[word] for word in words]
        assert len(set(lines)) == len(lines)
        assert all("\n" not in line and 20 <= len(line) <= 120 for line in lines), lines
