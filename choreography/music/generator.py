"""Blueprint generation: a pure function of (song analysis, move library, parameters, seed).

No I/O. The song is cut on its 8-count grid: phrase boundaries sit at ``first_beat + i * phrase``
(``phrase`` = 8 beats), computed from ``i`` each time, never accumulated, so nothing drifts over a
long song. The timeline is laid out in four parts:

- **Intro**: the region before the first downbeat. A library *intro* move plays there, ending on
  the first downbeat; otherwise a calm move fills it (trimmed to fit). Before a long intro, whole
  phrases of the grid extended backwards are filled like the body.
- **Body**: every move starts on count 1 of a phrase and lasts a whole number of the song's
  phrases, at most as many as the clip holds 8-counts (``duration * tempo / 60 / 8``); a move is
  cut short only at a phrase end. It plays the clip's tempo variant (choreography.music.tempo)
  nearest the song's tempo among those at least as long as its slot, so it is danced at the
  song's tempo and trimmed, by a few frames, to the grid.
- **Tail**: the part of a phrase after the last full one is played by the last move when it has
  8-counts to spare, else by a move of its own trimmed at the song's end.
- **Outro**: a library *outro* move, when there is one, takes the song's last phrases and tail.

Partial pieces shorter than ``MIN_SEGMENT_S`` are merged into their neighbouring phrase.

Which move plays when: filters (difficulty, style, energy) pick a pool, relaxed in
``RELAXATION_ORDER`` (see ``select_pool``); then, for each slot, the pool's moves are ranked by
(1) not the previous move, (2) no pair of consecutive moves played twice, (3) not in the last
``NO_REPEAT_WINDOW`` moves (less in a pool too small to leave two choices); (4) the requested
difficulty, then a *preferred* move (the studio's own, with library "both"); (5) a tempo variant
within ``MAX_GRID_ERROR`` of the song's tempo, then the clip's own tempo within
``TEMPO_TOLERANCE`` of it; (6) the requested style; (7) energy nearest the phrase's target;
(8) fewest plays so far (no best match comes back before all have played); (9) fits the phrases
left untrimmed. Ties go to the seeded random generator. So a relaxed filter only widens the
pool; matching moves still come first. ``allow_repeats`` turns off rules 1-3 and 8. A move the
song would re-time by more than ``MAX_RETIME`` (choreography.music.tempo) is left out of every
pool, intro and outro included, unless nothing else is left; ``Plan.beyond_limit`` names those
that had to play.

The phrase's target energy is the requested level moved one step up for a loud phrase (RMS at
least ``LOUD_RATIO`` times the song's median phrase) and one step down for a quiet one (at most
``QUIET_RATIO``); the intro counts as quiet.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assembly import Blueprint
from choreography.music.plan_values import (
    DEFAULT_CLIP_TEMPO_BPM,
    MoveOption,
    Parameters,
    PhraseGrid,
    PlannedMove,
    SongFacts,
)
from choreography.music.tempo import (
    MAX_GRID_ERROR,
    ClipTempo,
    retime_within_limit,
)
from choreography.music.vocabulary import (
    BEATS_PER_PHRASE,
    ENERGY_LEVELS,
)

LEGACY_STYLES: dict[str, frozenset[str]] = {
    "modern": frozenset({"energetic", "playful"}),
    "traditional": frozenset({"romantic", "sensual"}),
}
"""Older clients send "modern" or "traditional"; each means the pair of library styles shown."""

RELAXATION_ORDER = ("energy_level", "style", "difficulty")
"""Filters dropped one by one, in this order, until enough moves match."""

NO_REPEAT_WINDOW = 4
"""A move does not come back until this many other moves have played (when the library allows)."""
MIN_POOL = NO_REPEAT_WINDOW + 1
"""Filters are relaxed until the pool holds this many moves: enough to honour the window."""
TEMPO_TOLERANCE = 0.08
"""A move is "in tempo" when its tempo is within ±8 % of the song's."""
DEFAULT_SONG_BPM = 120.0
MIN_SEGMENT_S = 0.2
"""Partial pieces (intro before the first downbeat, tail after the last phrase) shorter than this
are merged into the neighbouring phrase instead of flashing a clip for a few frames."""
LOUD_RATIO = 10 ** (2 / 20)
QUIET_RATIO = 10 ** (-2 / 20)
"""Phrases 2 dB louder (quieter) than the song's median phrase steer one energy level up (down)."""
_EPS = 1e-6


@dataclass(frozen=True)
class Plan:
    blueprint: Blueprint
    timeline: tuple[PlannedMove, ...]
    relaxed_filters: tuple[str, ...] = field(default=())
    grid: PhraseGrid | None = None

    @property
    def beyond_limit(self) -> tuple[str, ...]:
        """Moves played although the song re-times them by more than ``MAX_RETIME`` (the pool
        had no other): danced off the song's tempo, by their ``tempo_error``."""
        if self.grid is None:
            return ()
        bpm = BEATS_PER_PHRASE * 60.0 / self.grid.phrase
        names = (p.move.name for p in self.timeline if not within_limit(p.move, bpm))
        return tuple(dict.fromkeys(names))


def styles_for(style: str | None) -> frozenset[str] | None:
    if style is None:
        return None
    return LEGACY_STYLES.get(style, frozenset({style}))


def in_tempo(move: MoveOption, song_bpm: float) -> bool:
    return tempo_fits(move.tempo_bpm, song_bpm)


def tempo_bounds(song_bpm: float) -> tuple[float, float]:
    """The clip tempos within ``TEMPO_TOLERANCE`` of the song's, inclusive (the in_tempo rule).

    A clip with no tempo (0) counts as ``DEFAULT_CLIP_TEMPO_BPM``: see ``tempo_fits``.
    """
    slack = TEMPO_TOLERANCE + 1e-9
    return song_bpm * (1.0 - slack), song_bpm * (1.0 + slack)


def tempo_fits(tempo_bpm: float, song_bpm: float) -> bool:
    """A clip of this tempo is in tempo with the song (the rule of in_tempo)."""
    tempo = tempo_bpm if tempo_bpm > 0 else DEFAULT_CLIP_TEMPO_BPM
    low, high = tempo_bounds(song_bpm)
    return low <= tempo <= high


def tempo_mismatch(move: MoveOption, song_bpm: float) -> float:
    """|move tempo / song tempo - 1|."""
    tempo = move.tempo_bpm if move.tempo_bpm > 0 else DEFAULT_CLIP_TEMPO_BPM
    return abs(tempo / song_bpm - 1.0)


def within_limit(move: MoveOption, song_bpm: float) -> bool:
    """The song re-times the move's clip by at most ``MAX_RETIME``."""
    tempo = move.tempo_bpm if move.tempo_bpm > 0 else DEFAULT_CLIP_TEMPO_BPM
    return retime_within_limit(tempo, song_bpm)


def playable(moves: Sequence[MoveOption], song_bpm: float) -> list[MoveOption]:
    """The moves within the re-timing limit of the song; all of them when none is."""
    return [m for m in moves if within_limit(m, song_bpm)] or list(moves)


def song_tempo(bpm: float) -> float:
    """The tempo the plan uses: the song's, or ``DEFAULT_SONG_BPM`` when it has none."""
    return bpm if bpm > 0 and math.isfinite(bpm) else DEFAULT_SONG_BPM


def move_tempo(move: MoveOption, song_bpm: float, fps: int) -> ClipTempo:
    """``move``'s clip in a song of ``song_bpm``: its variants (choreography.music.tempo)."""
    return ClipTempo(
        clip_bpm=move.tempo_bpm if move.tempo_bpm > 0 else DEFAULT_CLIP_TEMPO_BPM,
        frames=move.frames or max(1, round(move.duration * fps)),
        song_bpm=song_bpm,
        fps=fps,
    )


def select_pool(
    library: Sequence[MoveOption], params: Parameters, song_bpm: float | None = None
) -> tuple[list[MoveOption], tuple[str, ...]]:
    """Moves matching the parameters, relaxing filters in ``RELAXATION_ORDER`` when too few match.

    Energy level, then style, are relaxed until the pool holds ``MIN_POOL`` moves and, given the
    song's tempo, as many in-tempo moves as the requested difficulty offers (up to ``MIN_POOL``):
    a move on the music outranks style and energy. Difficulty, which decides whether the dancer
    can do the move at all, is relaxed only while fewer than ``MIN_POOL`` moves of any tempo match.
    """
    wanted_styles = styles_for(params.style)
    active = {"style": wanted_styles is not None, "energy_level": True, "difficulty": True}

    def matches(move: MoveOption) -> bool:
        return (
            (not active["style"] or move.style in (wanted_styles or ()))
            and (not active["energy_level"] or move.energy_level == params.energy_level)
            and (not active["difficulty"] or move.difficulty == params.difficulty)
        )

    def tempo_ok(move: MoveOption) -> bool:
        return song_bpm is None or in_tempo(move, song_bpm)

    target = min(MIN_POOL, len(library))
    at_level = [m for m in library if m.difficulty == params.difficulty]
    tempo_target = min(MIN_POOL, sum(1 for m in at_level if tempo_ok(m))) if song_bpm else 0
    relaxed: list[str] = []
    pool = [m for m in library if matches(m)]
    for name in RELAXATION_ORDER:
        short = len(pool) < target
        if name != "difficulty":
            short = short or sum(1 for m in pool if tempo_ok(m)) < tempo_target
        if not short:
            if name == "difficulty":
                break
            continue
        if active[name]:
            active[name] = False
            relaxed.append(name)
            pool = [m for m in library if matches(m)]
    return pool, tuple(relaxed)


@dataclass(frozen=True)
class _Unit:
    """One piece of the timeline between consecutive cut points."""

    start: float
    end: float
    whole: bool
    """At least a whole phrase long (a merged partial makes it slightly longer)."""
    phrase_index: int | None
    """Index of the phrase (from the first downbeat) it belongs to; None before the downbeat."""


def _units(grid: PhraseGrid) -> list[_Unit]:
    duration, first, phrase = grid.duration, grid.first_beat, grid.phrase
    before = math.floor(first / phrase + _EPS)
    after = math.floor((duration - first) / phrase + _EPS)
    points = [0.0]
    for index in range(-before, after + 1):
        point = grid.point(index)
        if MIN_SEGMENT_S <= point <= duration - MIN_SEGMENT_S and point > points[-1] + _EPS:
            points.append(point)
    points.append(duration)
    units = []
    for start, end in itertools.pairwise(points):
        if end <= first + _EPS and first > 0:
            index = None
        else:
            index = max(0, round((start - first) / phrase))
        units.append(_Unit(start, end, end - start >= phrase - _EPS, index))
    return units


class _Chooser:
    """Ranks candidates for one slot and remembers what played recently."""

    def __init__(
        self,
        rng: random.Random,
        song_bpm: float,
        params: Parameters,
        tempo_of: Callable[[MoveOption], ClipTempo],
        phrases_of: Callable[[MoveOption], int],
    ) -> None:
        self.rng = rng
        self.tempo_of = tempo_of
        self.phrases_of = phrases_of
        self.song_bpm = song_bpm
        self.difficulty = params.difficulty
        self.styles = styles_for(params.style)
        self.avoid_repeats = not params.allow_repeats
        self.recent: list[str] = []
        self.pairs: set[tuple[str, str]] = set()

    def choose(
        self, candidates: Sequence[MoveOption], target_energy: str, whole_left: int
    ) -> MoveOption:
        target = ENERGY_LEVELS.index(target_energy)
        previous = self.recent[-1] if self.recent else None
        avoid = self.avoid_repeats
        # The window leaves at least two choices: it never forces a small pool into a cycle.
        size = min(NO_REPEAT_WINDOW, len(candidates) - 2) if avoid else 0
        window = set(self.recent[-size:]) if size > 0 else set()

        def rank(move: MoveOption) -> tuple[int, ...]:
            level = (
                ENERGY_LEVELS.index(move.energy_level) if move.energy_level in ENERGY_LEVELS else 1
            )
            return (
                avoid and move.name == previous,
                avoid and (previous, move.name) in self.pairs,
                move.name in window,
                move.difficulty != self.difficulty,
                not move.preferred,
                self.tempo_of(move).nearest().error > MAX_GRID_ERROR,
                not in_tempo(move, self.song_bpm),
                self.styles is not None and move.style not in self.styles,
                abs(level - target),
                self.recent.count(move.name) if avoid else 0,
                self.phrases_of(move) > max(1, whole_left),
            )

        ranks = [rank(move) for move in candidates]
        best = min(ranks)
        move = self.rng.choice([m for m, r in zip(candidates, ranks, strict=True) if r == best])
        self.played(move.name)
        return move

    def played(self, name: str) -> None:
        """Remember that ``name`` played next (chosen here, or an intro or outro move)."""
        if self.recent:
            self.pairs.add((self.recent[-1], name))
        self.recent.append(name)


def _shift(level: str, steps: int) -> str:
    index = ENERGY_LEVELS.index(level) if level in ENERGY_LEVELS else 1
    return ENERGY_LEVELS[min(len(ENERGY_LEVELS) - 1, max(0, index + steps))]


def phrase_energy_shift(curve: Sequence[float], index: int | None) -> int:
    """+1 for a loud phrase, -1 for a quiet one (or the intro), 0 otherwise."""
    if index is None:
        return -1
    if not curve or index >= len(curve):
        return 0
    median = statistics.median(curve)
    if median <= 0:
        return 0
    ratio = curve[index] / median
    return 1 if ratio >= LOUD_RATIO else -1 if ratio <= QUIET_RATIO else 0


def plan_choreography(
    *,
    task_id: str,
    song: SongFacts,
    library: Sequence[MoveOption],
    params: Parameters,
    output_key: str,
    fps: int = 30,
    audio_start: float = 0.0,
) -> Plan:
    """Plan which move plays when, on the song's 8-count grid, covering the whole song.

    Each move plays the tempo variant nearest the song's tempo (choreography.music.tempo) at
    ``fps``: it fills whole phrases and is trimmed to the grid, never looped unless no
    variant holds one phrase. ``audio_start``: ``song`` is a section (choreography.music.section)
    that starts at this second of the audio.
    """
    if not library:
        raise ValueError("the move library is empty")
    if not song.duration > 0 or not math.isfinite(song.duration):
        raise ValueError("the song has no duration")
    bpm = song_tempo(song.bpm)
    grid = _grid_of(song)
    units = _units(grid)

    body_library = [m for m in library if m.role not in ("intro", "outro")] or list(library)
    body_library = playable(body_library, bpm)
    intros = playable([m for m in library if m.role == "intro"], bpm)
    outros = playable([m for m in library if m.role == "outro"], bpm)
    pools: dict[str, list[MoveOption]] = {}
    relaxed: set[str] = set()

    def pool_for(energy: str) -> list[MoveOption]:
        if energy not in pools:
            pool, dropped = select_pool(body_library, _with_energy(params, energy), song_bpm=bpm)
            pools[energy] = pool
            relaxed.update(dropped)
        return pools[energy]

    def target_for(unit: _Unit) -> str:
        return _shift(
            params.energy_level, phrase_energy_shift(song.energy_curve, unit.phrase_index)
        )

    tempos: dict[str, ClipTempo] = {}

    def tempo_of(move: MoveOption) -> ClipTempo:
        if move.name not in tempos:
            tempos[move.name] = move_tempo(move, bpm, fps)
        return tempos[move.name]

    @functools.cache
    def phrases_of(move: MoveOption) -> int:
        return tempo_of(move).phrases(move.counts)

    def planned(move: MoveOption, units: Sequence[_Unit], section: str, target: str):
        return _planned(move, units, section, target, tempo_of(move), fps)

    chooser = _Chooser(random.Random(params.seed), bpm, params, tempo_of, phrases_of)
    head = [u for u in units if u.phrase_index is None]
    rest = units[len(head) :]

    intro_units: list[_Unit] = []
    if intros and head:
        intro = _pick_special(intros, params, bpm, chooser.rng)
        take = min(phrases_of(intro), len(head))
        intro_units = head[len(head) - take :]
        head = head[: len(head) - take]
    outro_units: list[_Unit] = []
    if outros and len(rest) >= 2:
        outro = _pick_special(outros, params, bpm, chooser.rng)
        take = min(phrases_of(outro), len(rest) - 1)
        outro_units = rest[len(rest) - take :]
        rest = rest[: len(rest) - take]

    timeline: list[PlannedMove] = []

    def fill(run: list[_Unit], section: str) -> None:
        position = 0
        while position < len(run):
            unit = run[position]
            target = target_for(unit)
            if not unit.whole and position < len(run) - 1:
                # The partial piece before the grid starts: a move of its own, trimmed to fit.
                move = chooser.choose(pool_for(target), target, 0)
                timeline.append(planned(move, [unit], section, target))
                position += 1
                continue
            whole_left = sum(1 for u in run[position:] if u.whole)
            move = chooser.choose(pool_for(target), target, whole_left)
            taken = run[position : position + phrases_of(move)]
            timeline.append(planned(move, taken, section, target))
            position += len(taken)

    fill(head, "intro")
    if intro_units:
        timeline.append(planned(intro, intro_units, "intro", _shift(params.energy_level, -1)))
        chooser.played(intro.name)
    fill(rest, "body")
    if outro_units:
        target = target_for(outro_units[0])
        timeline.append(planned(outro, outro_units, "outro", target))
        chooser.played(outro.name)

    # Through parse: a stored key the blueprint refuses is a BlueprintError (400), not a 500.
    blueprint = Blueprint.parse(
        {
            "task_id": task_id,
            "audio_path": song.audio_key,
            "moves": [
                {"video_path": p.video_key, "start_time": p.start_time, "duration": p.duration}
                for p in timeline
            ],
            "output_config": {"output_path": output_key},
            **({"audio_start": round(audio_start, 6)} if audio_start > 0 else {}),
        }
    )
    order = [name for name in RELAXATION_ORDER if name in relaxed]
    return Plan(
        blueprint=blueprint, timeline=tuple(timeline), relaxed_filters=tuple(order), grid=grid
    )


def _grid_of(song: SongFacts) -> PhraseGrid:
    """The grid a plan of ``song`` is cut on (a first downbeat out of the song clamped)."""
    first_beat = min(
        max(0.0, song.first_beat if math.isfinite(song.first_beat) else 0.0), song.duration
    )
    return PhraseGrid.of(bpm=song_tempo(song.bpm), first_beat=first_beat, duration=song.duration)


def _with_energy(params: Parameters, energy: str) -> Parameters:
    return Parameters(params.difficulty, energy, params.style, params.seed, params.allow_repeats)


def _pick_special(
    moves: Sequence[MoveOption], params: Parameters, bpm: float, rng: random.Random
) -> MoveOption:
    """An intro or outro move: filtered and relaxed like the body; in tempo, then right level."""
    pool, _ = select_pool(moves, params, song_bpm=bpm)

    def rank(move: MoveOption) -> tuple[bool, bool]:
        return (not in_tempo(move, bpm), move.difficulty != params.difficulty)

    best = min(rank(m) for m in pool)
    return rng.choice([m for m in pool if rank(m) == best])


def _planned(
    move: MoveOption,
    units: Sequence[_Unit],
    section: str,
    target: str,
    tempo: ClipTempo,
    fps: int,
) -> PlannedMove:
    """The move over ``units``, playing the variant that fills them (the assembly's frames)."""
    start, end = round(units[0].start, 6), round(units[-1].end, 6)
    slot = round(end * fps) - round(start * fps)
    return PlannedMove(
        move=move,
        start_time=start,
        duration=round(end - start, 6),
        phrases=sum(1 for u in units if u.whole),
        section=section,
        target_energy=target,
        tempo=tempo.for_slot(slot),
    )
