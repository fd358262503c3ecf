"""A section of a song: the part a dancer asked for, cut on the song's phrase boundaries.

Pure (no I/O). A request may name ``start_seconds`` / ``end_seconds`` (either or both), or
``duration_seconds`` counted from the start of the first phrase (the first downbeat). Each end
moves to the nearest phrase boundary (8-count grid point: ``first_beat + i * phrase``), the
song's start and end counting as boundaries too, so a video of one minute of a long song starts
on count 1 and stops at the end of a phrase. The section is then planned as a song of its own
(``section_facts``): its grid starts at 0 and the song plays from ``start``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from choreography.music.generator import MIN_SEGMENT_S, PhraseGrid, SongFacts, song_tempo

END_TOLERANCE_S = 0.5
"""An end up to this far after the song's end is taken as the song's end (rounding in clients)."""


@dataclass(frozen=True)
class Section:
    """Seconds of the song, both on boundaries; ``start < end``."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def boundaries(song: SongFacts) -> list[float]:
    """The song's start, every phrase start after its first downbeat, and its end, in order.

    Phrase starts closer than ``MIN_SEGMENT_S`` to either end are left out (as the planner
    merges such slivers into their neighbour).
    """
    grid = PhraseGrid.of(
        bpm=song_tempo(song.bpm), first_beat=song.first_beat, duration=song.duration
    )
    points = [0.0]
    for point in grid.starts():
        if MIN_SEGMENT_S <= point <= song.duration - MIN_SEGMENT_S:
            points.append(round(point, 6))
    points.append(song.duration)
    return points


def snap_section(
    song: SongFacts,
    *,
    start_seconds: float | None = None,
    end_seconds: float | None = None,
    duration_seconds: float | None = None,
) -> Section | None:
    """The section asked for, on phrase boundaries; None when it is the whole song.

    ValueError (its message says what to send) for a start at or after the song's end, an end
    after it, an end before the start, or ``duration_seconds`` with start or end.
    """
    if duration_seconds is not None and (start_seconds is not None or end_seconds is not None):
        raise ValueError("send duration_seconds, or start_seconds/end_seconds, not both")
    if start_seconds is end_seconds is duration_seconds is None:
        return None
    length = song.duration
    points = boundaries(song)
    if duration_seconds is not None:
        first_phrase = next((p for p in points if p >= song.first_beat - 1e-6), 0.0)
        if first_phrase >= length:
            first_phrase = 0.0
        start_target, end_target = first_phrase, first_phrase + duration_seconds
        what = f"the first phrase (at {first_phrase:.2f} s) plus duration_seconds"
    else:
        start_target = start_seconds or 0.0
        end_target = length if end_seconds is None else end_seconds
        what = "end_seconds"
    if start_target >= length:
        raise ValueError(
            f"start_seconds ({start_target:g}) is at or after the end of the song ({length:.2f} s)"
        )
    if end_target > length + END_TOLERANCE_S:
        raise ValueError(
            f"{what} ({end_target:.2f} s) is after the end of the song ({length:.2f} s)"
        )
    if end_target <= start_target:
        raise ValueError(
            f"end_seconds ({end_target:g}) must be after start_seconds ({start_target:g})"
        )
    start = _nearest(points[:-1], start_target)
    end = _nearest([p for p in points if p > start], min(end_target, length))
    if start == 0.0 and math.isclose(end, length):
        return None
    return Section(start, end)


def _nearest(points: list[float], target: float) -> float:
    """The point nearest ``target``; a tie goes to the later one."""
    return min(points, key=lambda point: (abs(point - target), -point))


def section_facts(song: SongFacts, section: Section) -> SongFacts:
    """The section as a song of its own: its time 0 is ``section.start``.

    A section from a phrase start has its first downbeat at 0; one from the song's start keeps
    the song's intro. The energy curve (one value per phrase from the first downbeat) is cut to
    the section's phrases.
    """
    grid = PhraseGrid.of(
        bpm=song_tempo(song.bpm), first_beat=song.first_beat, duration=song.duration
    )
    first_phrase = max(0, round((section.start - song.first_beat) / grid.phrase))
    return replace(
        song,
        duration=round(section.duration, 6),
        first_beat=max(0.0, round(song.first_beat - section.start, 6)),
        energy_curve=song.energy_curve[first_phrase:],
    )
