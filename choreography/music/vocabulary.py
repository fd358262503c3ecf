"""The words of the library: difficulty, energy, style and role of a move, and what each means.

Written once here, in plain Python, so the rules use them without Django; the models build
their choices from these (choreography.models), the API schemas their allowed values and
defaults (choreography.api.schemas), and the page its selectors from the schemas.
"""

from __future__ import annotations

from enum import StrEnum

BEATS_PER_PHRASE = 8
"""Bachata is counted in eights: a phrase is 8 beats, and moves change on phrase starts."""


class Difficulty(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


DEFAULT_DIFFICULTY: str = Difficulty.INTERMEDIATE.value
"""The level asked for, and given to an imported move, when nobody says."""


class EnergyLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


DEFAULT_ENERGY_LEVEL: str = EnergyLevel.MEDIUM.value
"""The energy asked for, and given to an imported move, when nobody says."""


class Style(StrEnum):
    ROMANTIC = "romantic"
    ENERGETIC = "energetic"
    SENSUAL = "sensual"
    PLAYFUL = "playful"


class MoveRole(StrEnum):
    """Where a move may play: anywhere, or only before the first downbeat / at the very end."""

    MOVE = "move"
    INTRO = "intro"
    OUTRO = "outro"


DIFFICULTIES: tuple[str, ...] = tuple(word.value for word in Difficulty)
ENERGY_LEVELS: tuple[str, ...] = tuple(word.value for word in EnergyLevel)
"""Lowest first: a phrase's target energy steps along this order."""
STYLES: tuple[str, ...] = tuple(word.value for word in Style)
ROLES: tuple[str, ...] = tuple(word.value for word in MoveRole)
"""The allowed values, in order: schemas, forms and the page's selectors are built from these."""


DIFFICULTY_DESCRIPTIONS: dict[str, str] = {
    Difficulty.BEGINNER: "Basic steps, side to side and the box, with simple turns: your first "
    "months of bachata.",
    Difficulty.INTERMEDIATE: "Turns, cross-body leads and hand changes, once the basic step "
    "comes without thinking.",
    Difficulty.ADVANCED: "Fast combinations, double turns, dips and styling, for dancers "
    "at ease with leading and following.",
}
ENERGY_DESCRIPTIONS: dict[str, str] = {
    EnergyLevel.LOW: "Calm and smooth: small steps, close hold, room to breathe.",
    EnergyLevel.MEDIUM: "Steady social dancing: the pace of most songs on a dance floor.",
    EnergyLevel.HIGH: "Lively and demanding: quick footwork and many turns.",
}
STYLE_DESCRIPTIONS: dict[str, str] = {
    Style.ROMANTIC: "Close and tender, flowing moves in a close embrace.",
    Style.ENERGETIC: "Big, dynamic moves with turns and footwork that fill the floor.",
    Style.SENSUAL: "Slow, connected body movement: waves, rolls and dips.",
    Style.PLAYFUL: "Light and fun: open position, tricks and games with the music.",
}
ANY_STYLE_DESCRIPTION = "Any style: moves of every style, chosen to fit the song."
"""One line each a dancer understands, shown under the page's selectors and listed by the API
(GET /api/choreography/options/): written once here, every one of the vocabulary's words has one
(tests/music/test_vocabulary.py)."""
