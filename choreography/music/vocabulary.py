"""The words of the library: difficulty, energy, style and role of a move.

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
