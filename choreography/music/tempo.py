"""Tempo variants: the grid of speeds a clip is re-timed to, and which one a song plays.

Pure arithmetic, no I/O. A variant of a clip plays it ``STEP_RATIO ** step`` times faster
(``step`` in ``STEPS``; step 0 is the clip itself). Steps are a quarter of a percent: a move
must not come up short of its slot (it would loop its first frames), and a slot is a whole
number of frames, often one more than the phrase's exact length (109.09 frames at 132 BPM and
30 fps is a slot of 109 or 110 by where it sits): with 1 % steps the variant of 110 frames
often did not exist, and the next longer one played 1.5-2 % slow. With quarter steps every
frame count near the song's tempo has its step (a step moves a 4 s clip by a third of a frame),
so a move plays within ``MAX_GRID_ERROR`` (1 %) of the song: the rounding of its slot to whole
frames, at most one frame in a phrase of about 100. The grid reaches every ratio up to
``MAX_RETIME`` (±30 %) with a step on each side, so any song a move may be re-timed to plays it
within 1 %; past that limit a move plays the grid's last step, off the song's tempo, and the
generator plays it only when nothing else is left (``within_limit``). Steps, not exact ratios,
name the variants: two songs that need the same step of a clip share its variant. Variants are
rendered only for the steps songs play (choreography.library.variants), so a finer, wider grid
costs no storage.

A variant of a clip with ``frames`` frames re-times them to exactly ``retimed_frames(frames,
step)`` and holds its last frame ``HELD_FRAMES`` more (``variant_frames`` in all): its real
speed-up is ``frames / retimed_frames``, and that (not the nominal ratio) is the tempo the
dancer moves at in the video, so ``TempoFit.error`` is what the viewer sees. The held frame is
for slots rounded up: a clip whose last 8-count ends a fraction of a frame short of the
slot would otherwise need a step slower (up to 2 % off); it freezes one frame (33 ms) instead.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from choreography.music.vocabulary import BEATS_PER_PHRASE

STEP_RATIO = 1.01**0.25
"""A quarter of a percent (steps stored before were whole percents: migration 0015 multiplied
them by 4, the same speed-ups)."""
MAX_RETIME = 0.30
"""A clip is re-timed by at most ±30 % (speed-up 0.70..1.30): beyond, a dancer would look
rushed or dragging; such a move is played only when the pool has no other (``within_limit``)."""
MIN_STEP = math.floor(math.log(1 - MAX_RETIME) / math.log(STEP_RATIO))
MAX_STEP = math.ceil(math.log(1 + MAX_RETIME) / math.log(STEP_RATIO))
STEPS = range(MIN_STEP, MAX_STEP + 1)
"""-144..106: a step on each side of every ratio within the limit."""
MAX_GRID_ERROR = 0.01
"""A move plays on the song's tempo when within 1 %: what the grid gives any move within the
re-timing limit (a step's quarter percent, and its slot rounded to whole frames)."""


def step_ratio(step: int) -> float:
    """Nominal speed-up of a step (1.01 ** (step / 4))."""
    return _RATIOS[step] if step in _RATIOS else STEP_RATIO**step


_RATIOS = {step: STEP_RATIO**step for step in STEPS}


HELD_FRAMES = 1
"""Frames a variant holds its last frame for after the re-timed clip (none on the clip itself)."""


def retime_within_limit(clip_bpm: float, song_bpm: float) -> bool:
    """Playing a clip of ``clip_bpm`` at ``song_bpm`` re-times it by at most ``MAX_RETIME``."""
    return abs(song_bpm / clip_bpm - 1) <= MAX_RETIME + 1e-9


def retimed_frames(frames: int, step: int) -> int:
    """Frames of the clip re-timed to ``step``: the clip's duration divided by the speed-up."""
    return max(1, round(frames / step_ratio(step)))


def variant_frames(frames: int, step: int) -> int:
    """Frames of the variant of ``step``: re-timed, then its last frame held (step 0: the clip)."""
    return retimed_frames(frames, step) + (HELD_FRAMES if step else 0)


def variant_key(clip_key: str, step: int) -> str:
    """The name a blueprint gives a variant (the assembly maps it to its stored stream)."""
    stem = clip_key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return f"library/variants/{stem}-{step_label(step)}.h264"


def step_label(step: int) -> str:
    """``p04`` for +4, ``m02`` for -2: safe in any storage key."""
    return f"{'p' if step >= 0 else 'm'}{abs(step):02d}"


NEAR_STEPS = 16
"""How far (in steps, 4 %) from the song's tempo, or from the fastest step long enough for a
slot, a variant is looked for: the 1 % a move plays within and the rounding of a clip's frames,
several times over (``ClipTempo.variants`` orders them all)."""


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
        tempo = self.clip_bpm * self.frames / retimed_frames(self.frames, step)
        count = variant_frames(self.frames, step)
        return TempoFit(step, tempo, abs(tempo / self.song_bpm - 1), count)

    @property
    def ratio(self) -> float:
        """The speed-up the song asks of the clip (song tempo / clip tempo)."""
        return self.song_bpm / self.clip_bpm

    @property
    def within_limit(self) -> bool:
        """The song asks at most ``MAX_RETIME`` of re-timing of the clip."""
        return retime_within_limit(self.clip_bpm, self.song_bpm)

    @functools.cached_property
    def variants(self) -> tuple[TempoFit, ...]:
        """Every step's variant, nearest the song's tempo first (ties: the smaller re-timing).
        What ``nearest``, ``phrases`` and ``for_slot`` choose from (they look only near the
        song's tempo, where the choice lies: these are on every move of every plan)."""
        return tuple(sorted(map(self.variant, STEPS), key=_nearness))

    @functools.cached_property
    def _center(self) -> int:
        """The step nearest the song's nominal ratio, within the grid."""
        ideal = round(math.log(self.ratio) / math.log(STEP_RATIO))
        return min(MAX_STEP, max(MIN_STEP, ideal))

    def _around(self, step: int, reach: int = NEAR_STEPS) -> list[TempoFit]:
        low, high = max(MIN_STEP, step - reach), min(MAX_STEP, step + reach)
        return [self.variant(s) for s in range(low, high + 1)]

    @functools.cached_property
    def _nearest(self) -> TempoFit:
        return self._toward_zero(min(self._around(self._center, 6), key=_nearness), 0)

    def _toward_zero(self, fit: TempoFit, slot_frames: int) -> TempoFit:
        """``fit``, or a step nearer 0 as near the song's tempo (a short clip rounds several
        steps to one frame count: the smallest re-timing wins the tie)."""
        while fit.step != 0:
            closer = self.variant(fit.step - (1 if fit.step > 0 else -1))
            if closer.frames < slot_frames or _nearness(closer) > _nearness(fit):
                break
            fit = closer
        return fit

    def nearest(self) -> TempoFit:
        """The variant danced nearest the song's tempo."""
        return self._nearest

    def phrases(self, max_phrases: int | None = None) -> int:
        """Whole song phrases the move can fill (at least 1, at most ``max_phrases``): those a
        variant within ``MAX_GRID_ERROR`` (or the nearest's error, beyond the grid) holds."""
        bound = max(MAX_GRID_ERROR, self.nearest().error) + 1e-9
        longest = max(v.frames for v in self._around(self._center, 10) if v.error <= bound)
        held = math.floor(longest / self.phrase_frames + 1e-9)
        if math.ceil(held * self.phrase_frames - 1e-9) > longest:
            held -= 1  # wherever they sit on the grid, ``held`` phrases must fit
        return max(1, held if max_phrases is None else min(held, max_phrases))

    def for_slot(self, slot_frames: int) -> TempoFit:
        """The variant nearest the song's tempo among those with at least ``slot_frames``
        frames (trimmed to the slot, never looped); the nearest of all when none is that long
        (the library truly has nothing closer: it loops).

        Variants get longer as steps get slower, so those long enough are the clip itself and
        the steps up to the fastest long enough; the nearest of them is within ``NEAR_STEPS``
        of it or of the song's own step."""
        top = min(self._fastest_long_enough(slot_frames), self._center)
        fits = [v for v in (*self._around(top), self.variant(0)) if v.frames >= slot_frames]
        return self._toward_zero(min(fits, key=_nearness), slot_frames) if fits else self.nearest()

    def _fastest_long_enough(self, slot_frames: int) -> int:
        """The fastest step whose variant has at least ``slot_frames`` frames (MIN_STEP - 1:
        none)."""
        room = max(slot_frames - HELD_FRAMES, 1)
        step = math.floor(math.log(self.frames / room) / math.log(STEP_RATIO))
        step = min(MAX_STEP, max(MIN_STEP - 1, step))
        while step < MAX_STEP and variant_frames(self.frames, step + 1) >= slot_frames:
            step += 1
        while step >= MIN_STEP and variant_frames(self.frames, step) < slot_frames:
            step -= 1
        return step


def _nearness(fit: TempoFit) -> tuple[float, int]:
    return (fit.error, abs(fit.step))
