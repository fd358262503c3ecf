"""Blueprint generation: a pure function of (song, move library, parameters, seed). No I/O.

Moves are chosen by the dancer's parameters, relaxing filters in a fixed order when the library
has too few matches, so a choreography is never empty. Durations follow the song's 8-count
phrases where the clip is long enough, and the last move ends exactly at the song's end.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from assembly.blueprint import Blueprint, BlueprintMove, OutputConfig

LEGACY_STYLES: dict[str, frozenset[str]] = {
    "modern": frozenset({"energetic", "playful"}),
    "traditional": frozenset({"romantic", "sensual"}),
}
"""Older clients send "modern" or "traditional"; each means the pair of library styles shown."""

RELAXATION_ORDER = ("energy_level", "style", "difficulty")
"""Filters dropped one by one, in this order, until enough moves match."""

MIN_POOL = 3
NO_REPEAT_WINDOW = 4
MIN_TAIL_S = 1.0


@dataclass(frozen=True)
class MoveOption:
    """A library move as the generator sees it."""

    name: str
    label: str
    clip_key: str
    duration: float
    difficulty: str
    energy_level: str
    style: str
    tempo_bpm: float = 120.0


@dataclass(frozen=True)
class SongFacts:
    audio_key: str
    duration: float
    bpm: float


@dataclass(frozen=True)
class Parameters:
    difficulty: str = "intermediate"
    energy_level: str = "medium"
    style: str | None = None
    seed: int = 0


@dataclass(frozen=True)
class PlannedMove:
    move: MoveOption
    start_time: float
    duration: float


@dataclass(frozen=True)
class Plan:
    blueprint: Blueprint
    timeline: tuple[PlannedMove, ...]
    relaxed_filters: tuple[str, ...] = field(default=())


def styles_for(style: str | None) -> frozenset[str] | None:
    if style is None:
        return None
    return LEGACY_STYLES.get(style, frozenset({style}))


def select_pool(
    library: Sequence[MoveOption], params: Parameters
) -> tuple[list[MoveOption], tuple[str, ...]]:
    """Moves matching the parameters, relaxing filters until at least MIN_POOL match."""
    wanted_styles = styles_for(params.style)
    active = {"style": wanted_styles is not None, "energy_level": True, "difficulty": True}

    def matches(move: MoveOption) -> bool:
        return (
            (not active["style"] or move.style in (wanted_styles or ()))
            and (not active["energy_level"] or move.energy_level == params.energy_level)
            and (not active["difficulty"] or move.difficulty == params.difficulty)
        )

    target = min(MIN_POOL, len(library))
    relaxed: list[str] = []
    pool = [m for m in library if matches(m)]
    for name in RELAXATION_ORDER:
        if len(pool) >= target:
            break
        if active[name]:
            active[name] = False
            relaxed.append(name)
            pool = [m for m in library if matches(m)]
    return pool, tuple(relaxed)


def plan_choreography(
    *,
    task_id: str,
    song: SongFacts,
    library: Sequence[MoveOption],
    params: Parameters,
    output_key: str,
) -> Plan:
    """Plan which move plays when so that the moves exactly cover the song."""
    if not library:
        raise ValueError("the move library is empty")
    if song.duration <= 0:
        raise ValueError("the song has no duration")
    pool, relaxed = select_pool(library, params)
    rng = random.Random(params.seed)
    phrase = 8 * 60.0 / song.bpm if song.bpm > 0 else 4.0

    timeline: list[PlannedMove] = []
    recent: list[str] = []
    position = 0.0
    while song.duration - position > 1e-6:
        move = _pick(pool, recent, rng)
        phrases = int(move.duration // phrase)
        length = phrases * phrase if phrases >= 1 else move.duration
        remaining = song.duration - position
        if remaining - length < MIN_TAIL_S:
            length = remaining
        timeline.append(PlannedMove(move, round(position, 6), round(length, 6)))
        position += length
        recent = [*recent, move.name][-NO_REPEAT_WINDOW:]

    moves = _contiguous(timeline, song.duration)
    blueprint = Blueprint(
        task_id=task_id,
        audio_path=song.audio_key,
        moves=tuple(
            BlueprintMove(video_path=p.move.clip_key, start_time=p.start_time, duration=p.duration)
            for p in moves
        ),
        output_config=OutputConfig(output_path=output_key),
    )
    return Plan(blueprint=blueprint, timeline=tuple(moves), relaxed_filters=relaxed)


def _pick(pool: Sequence[MoveOption], recent: Sequence[str], rng: random.Random) -> MoveOption:
    """A random move not used in the recent window (or at least not the last one)."""
    for window in (NO_REPEAT_WINDOW, 1, 0):
        banned = set(recent[-window:]) if window else set()
        candidates = [m for m in pool if m.name not in banned]
        if candidates:
            return rng.choice(candidates)
    raise AssertionError("unreachable: the pool is never empty")


def _contiguous(timeline: list[PlannedMove], total: float) -> list[PlannedMove]:
    """Re-derive starts from rounded durations so the blueprint tiles [0, total] exactly."""
    result = []
    position = 0.0
    for index, planned in enumerate(timeline):
        duration = round(total - position, 6) if index == len(timeline) - 1 else planned.duration
        result.append(PlannedMove(planned.move, round(position, 6), duration))
        position = round(position + duration, 6)
    return result
