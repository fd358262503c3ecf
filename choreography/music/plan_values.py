"""The planner's values: the moves, song and parameters it is given, the grid it cuts on and the
moves it places. Pure: no I/O (choreography.music.generator plans with them)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from choreography.music.tempo import TempoFit, variant_key
from choreography.music.vocabulary import (
    BEATS_PER_PHRASE,
    DEFAULT_DIFFICULTY,
    DEFAULT_ENERGY_LEVEL,
)

DEFAULT_CLIP_TEMPO_BPM = 120.0
"""Tempo assumed for a clip without metadata and without a clear beat in its own audio."""
COUNT_TOLERANCE = 0.1
"""A clip lacking at most this fraction of an 8-count still counts it as whole."""
_EPS = 1e-6


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
    tempo_bpm: float = DEFAULT_CLIP_TEMPO_BPM
    role: str = "move"
    """"move", or "intro"/"outro": played only before the first downbeat / at the very end."""
    frames: int = 0
    """Frames of the clip (0: ``duration`` times the frame rate)."""
    preferred: bool = False
    """A move of the dancer's studio, chosen before public moves (library "both")."""

    @property
    def counts(self) -> int:
        """Whole 8-counts in the clip at its own tempo (at least one)."""
        tempo = self.tempo_bpm if self.tempo_bpm > 0 else DEFAULT_CLIP_TEMPO_BPM
        held = self.duration * tempo / 60.0 / BEATS_PER_PHRASE
        return max(1, math.floor(held + COUNT_TOLERANCE))


@dataclass(frozen=True)
class SongFacts:
    audio_key: str
    duration: float
    bpm: float
    first_beat: float = 0.0
    """Time of the first downbeat (count 1), seconds."""
    energy_curve: tuple[float, ...] = ()
    """RMS of each 8-count phrase from the first downbeat."""


@dataclass(frozen=True)
class Parameters:
    difficulty: str = DEFAULT_DIFFICULTY
    energy_level: str = DEFAULT_ENERGY_LEVEL
    style: str | None = None
    seed: int = 0
    allow_repeats: bool = False
    """Let a move play twice in a row (and sequences repeat): off unless the dancer asks."""


@dataclass(frozen=True)
class PlannedMove:
    move: MoveOption
    start_time: float
    duration: float
    phrases: int = 0
    """Whole song phrases this move fills (0 for a partial intro or tail piece)."""
    section: str = "body"
    """"intro", "body" or "outro"."""
    target_energy: str = ""
    tempo: TempoFit | None = None
    """The tempo variant played (None: the clip as it is, in plans made without fits)."""

    @property
    def tempo_error(self) -> float:
        """|played tempo / song tempo - 1| of the move as it plays in the video."""
        return self.tempo.error if self.tempo is not None else 0.0

    @property
    def video_key(self) -> str:
        """The clip, or the name of its tempo variant, that the blueprint plays."""
        step = self.tempo.step if self.tempo is not None else 0
        return self.move.clip_key if step == 0 else variant_key(self.move.clip_key, step)


@dataclass(frozen=True)
class PhraseGrid:
    """The song's 8-count grid: point ``i`` is ``first_beat + i * phrase`` (``i`` may be < 0)."""

    first_beat: float
    phrase: float
    duration: float

    @classmethod
    def of(cls, *, bpm: float, first_beat: float, duration: float) -> PhraseGrid:
        """The grid of a song with this tempo, first downbeat and length."""
        return cls(first_beat, BEATS_PER_PHRASE * 60.0 / bpm, duration)

    def point(self, index: int) -> float:
        return self.first_beat + index * self.phrase

    def starts(self) -> list[float]:
        """Start of every phrase from the first downbeat that begins before the song ends."""
        if self.phrase <= 0:
            return []
        count = max(0, math.ceil((self.duration - self.first_beat) / self.phrase - _EPS))
        return [self.point(index) for index in range(count)]

    def nearest_error(self, time: float) -> float:
        """Distance in seconds from ``time`` to the nearest grid point."""
        index = round((time - self.first_beat) / self.phrase)
        return abs(time - self.point(index))
