"""Tempo variants: the grid of speeds a clip is re-timed to, and which one a song plays.

Pure arithmetic, no I/O. A variant of a clip plays it ``STEP_RATIO ** step`` times faster
(``step`` in ``-MAX_STEP..MAX_STEP``, about ±17 %; step 0 is the clip itself). Steps are 1 %,
not 2 %: a move must not come up short of its phrases (it would loop its first frames), so a
clip that exactly fills them takes the step just *slower* than the song, not the nearer one;
with 1 % steps that is still within 1 % (plus a frame's rounding). Variants are rendered only
for the tempos songs need (choreography.library.variants), so a finer grid costs no storage.

A variant of a clip with ``frames`` frames has exactly ``variant_frames(frames, step)`` frames:
its real speed-up is ``frames / variant_frames``, and that (not the nominal ratio) is the tempo
the dancer moves at in the video, so ``TempoFit.error`` is what the viewer sees.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from choreography.music.vocabulary import BEATS_PER_PHRASE

STEP_RATIO = 1.01
MAX_STEP = 16
STEPS = range(-MAX_STEP, MAX_STEP + 1)
MAX_GRID_ERROR = STEP_RATIO - 1
"""Largest tempo error of the step just slower than a song inside the grid (1 %), the one a
move whose clip exactly fills its phrases must take so as not to come up short."""


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
    """A variant of a clip as played in a song: its step, real tempo and error, its frames."""

    step: int
    tempo_bpm: float
    """The tempo the dancer moves at in the video (the clip's, times the real speed-up)."""
    error: float
    """|played tempo / song tempo - 1|."""
    frames: int
    """Frames of the variant."""


@dataclass(frozen=True)
class ClipTempo:
    """A clip (its tempo and frames) in a song (its tempo) at the library's frame rate."""

    clip_bpm: float
    frames: int
    song_bpm: float
    fps: int

    @property
    def phrase_frames(self) -> float:
        return BEATS_PER_PHRASE * 60.0 / self.song_bpm * self.fps

    def variant(self, step: int) -> TempoFit:
        count = variant_frames(self.frames, step)
        tempo = self.clip_bpm * self.frames / count
        return TempoFit(step, tempo, abs(tempo / self.song_bpm - 1), count)

    @functools.cached_property
    def variants(self) -> tuple[TempoFit, ...]:
        """Every step's variant, nearest the song's tempo first (ties: the smaller re-timing)."""
        return tuple(sorted(map(self.variant, STEPS), key=lambda v: (v.error, abs(v.step))))

    def nearest(self) -> TempoFit:
        """The variant danced nearest the song's tempo."""
        return self.variants[0]

    def phrases(self, max_phrases: int | None = None) -> int:
        """Whole song phrases the move can fill (at least 1, at most ``max_phrases``): those a
        variant within ``MAX_GRID_ERROR`` (or the nearest's error, beyond the grid) holds."""
        bound = max(MAX_GRID_ERROR, self.nearest().error) + 1e-9
        longest = max(v.frames for v in self.variants if v.error <= bound)
        held = math.floor(longest / self.phrase_frames + 1e-9)
        if math.ceil(held * self.phrase_frames - 1e-9) > longest:
            held -= 1  # wherever they sit on the grid, ``held`` phrases must fit
        return max(1, held if max_phrases is None else min(held, max_phrases))

    def for_slot(self, slot_frames: int) -> TempoFit:
        """The variant nearest the song's tempo among those with at least ``slot_frames``
        frames (trimmed to the slot, never looped); the nearest of all when none is that long
        (the library truly has nothing closer: it loops)."""
        return next((v for v in self.variants if v.frames >= slot_frames), self.variants[0])

    def slot_steps(self, phrases: int) -> set[int]:
        """Steps played by whole slots of 1..``phrases`` phrases (a slot of c phrases spans
        floor or ceil of c * phrase_frames frames, by where it sits on the grid)."""
        steps = set()
        for count in range(1, phrases + 1):
            span = count * self.phrase_frames
            for slot in {math.floor(span + 1e-9), math.ceil(span - 1e-9)}:
                steps.add(self.for_slot(slot).step)
        return steps
