"""Tempo variants: the grid of speeds a clip is re-timed to, and which one a song plays.

Pure arithmetic, no I/O. A variant of a clip plays it ``STEP_RATIO ** step`` times faster
(``step`` in ``-MAX_STEP..MAX_STEP``; step 0 is the clip itself). Geometric steps of 2 % mean a
song tempo between two steps is at most ``sqrt(1.02) - 1`` (0.995 %) from the nearer one, so
every song within about ±16 % of a clip's tempo has a variant within 1 %.

A variant of a clip with ``frames`` frames has exactly ``variant_frames(frames, step)`` frames:
its real speed-up is ``frames / variant_frames``, and that (not the nominal ratio) is the tempo
the dancer moves at in the video, so ``TempoFit.error`` is what the viewer sees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from choreography.music.vocabulary import BEATS_PER_PHRASE

STEP_RATIO = 1.02
MAX_STEP = 8
STEPS = range(-MAX_STEP, MAX_STEP + 1)
MAX_GRID_ERROR = math.sqrt(STEP_RATIO) - 1
"""Largest tempo error of the nearest step for a song inside the grid (0.995 %)."""


def step_ratio(step: int) -> float:
    """Nominal speed-up of a step (1.02 ** step)."""
    return STEP_RATIO**step


def variant_frames(frames: int, step: int) -> int:
    """Frames of the clip re-timed to ``step``: the clip's duration divided by the speed-up."""
    return max(1, round(frames / step_ratio(step)))


def variant_key(clip_key: str, step: int) -> str:
    """The name a blueprint gives a variant (the assembly maps it to its stored stream)."""
    stem = clip_key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return f"library/variants/{stem}-{step_label(step)}.h264"


def step_label(step: int) -> str:
    """``p04`` for +4, ``m02`` for -2: safe in any storage key."""
    return f"{'p' if step >= 0 else 'm'}{abs(step):02d}"


@dataclass(frozen=True)
class TempoFit:
    """How a clip is played in a song: which variant, at what tempo, filling how many phrases."""

    step: int
    tempo_bpm: float
    """The tempo the dancer moves at in the video (the clip's, times the real speed-up)."""
    error: float
    """|played tempo / song tempo - 1|."""
    frames: int
    """Frames of the variant played."""
    phrases: int
    """Song phrases (8-counts) the move takes: its whole ones, at least 1, at most asked."""
    held: int
    """Whole phrases the variant holds, frames rounded (0: shorter than one phrase)."""

    @property
    def loops(self) -> bool:
        """The variant is shorter than one phrase: it repeats its first frames to fill it."""
        return self.held < 1


def fit(
    *, clip_bpm: float, frames: int, song_bpm: float, fps: int, max_phrases: int | None = None
) -> TempoFit:
    """The variant nearest the song's tempo (by the tempo actually played).

    Only when that variant is shorter than one phrase is a slower step taken (the nearest one
    long enough), so a figure is looped only when no variant holds a whole 8-count. The
    assembly rounds each boundary to a frame, so ``c`` phrases fill at most
    ``ceil(c * phrase_frames)`` frames: a phrase is whole when the variant has that many.
    """
    phrase_frames = BEATS_PER_PHRASE * 60.0 / song_bpm * fps

    def played(step: int) -> tuple[float, int]:
        count = variant_frames(frames, step)
        tempo = clip_bpm * frames / count
        return tempo, count

    def whole(count: int) -> int:
        # A slot of c phrases spans at most ceil(c * phrase_frames) frames once rounded.
        held = math.floor(count / phrase_frames + 1e-9)
        return held if math.ceil(held * phrase_frames - 1e-9) <= count else held - 1

    ranked = sorted(STEPS, key=lambda s: (abs(played(s)[0] / song_bpm - 1), abs(s)))
    step = ranked[0]
    if whole(played(step)[1]) < 1:
        longer = [s for s in ranked if whole(played(s)[1]) >= 1]
        step = longer[0] if longer else step
    tempo, count = played(step)
    held = whole(count)
    phrases = max(1, held if max_phrases is None else min(held, max_phrases))
    return TempoFit(step, tempo, abs(tempo / song_bpm - 1), count, phrases, held)
