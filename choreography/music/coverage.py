"""What any plan of a song may play: the tempo variants a warm-up renders so that every
generate on the song, whatever its parameters, seed or section, is a pure copy.

Pure (no I/O). A plan (choreography.music.generator) gives each move a run of consecutive pieces
of the song's timeline, at most as many as the move holds phrases (``ClipTempo.phrases``), and
plays the variant its slot's frame count asks for (``ClipTempo.for_slot``). Which move lands
where depends on the parameters and seed; which variant a move plays depends only on its slot.
So the variants a song may play are, for every move of the library, those of every slot length
its runs can have: a few per move, whatever the library's filters (moves beyond the re-timing
limit included: a pool with nothing else plays them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from choreography.music.generator import (
    _EPS,
    MoveOption,
    SongFacts,
    _grid_of,
    _units,
    move_tempo,
    song_tempo,
)


def slot_frames(song: SongFacts, fps: int, longest: int) -> dict[int, set[int]]:
    """Frames of every slot a plan of ``song``, or of a section of it, may give a move that
    spans ``k`` pieces of the timeline (``k`` in 1..``longest``; a move spans at most its
    ``ClipTempo.phrases``): what a warm-up must cover for any parameters and seed.

    A run of whole phrases spans the floor or ceil of its length in frames wherever it sits; a
    run with a partial piece (the intro's, the tail, a merged sliver) spans what it spans in the
    song, and a frame either way in a section (planned from the section's start)."""
    grid = _grid_of(song)
    units = _units(grid)
    phrase_frames = grid.phrase * fps
    slots: dict[int, set[int]] = {}
    for count in range(1, longest + 1):
        span = count * phrase_frames
        found = {math.floor(span + 1e-9), math.ceil(span - 1e-9)}
        for run in (units[i : i + count] for i in range(len(units) - count + 1)):
            if abs(run[-1].end - run[0].start - count * grid.phrase) > _EPS:
                frames = round(run[-1].end * fps) - round(run[0].start * fps)
                found.update(f for f in (frames - 1, frames, frames + 1) if f > 0)
        slots[count] = found
    return slots


def steps_for_song(
    song: SongFacts, library: Sequence[MoveOption], fps: int
) -> dict[str, tuple[int, ...]]:
    """Per move name, the re-timed steps (step 0, the clip itself, left out) a plan of ``song``
    or a section of it may play, for any parameters and seed."""
    bpm = song_tempo(song.bpm)
    fits = []
    for move in library:
        tempo = move_tempo(move, bpm, fps)
        fits.append((move, tempo, tempo.phrases(move.counts)))
    slots = slot_frames(song, fps, max((n for _, _, n in fits), default=1))
    steps: dict[str, tuple[int, ...]] = {}
    for move, tempo, longest in fits:
        found = {tempo.nearest().step}
        for count in range(1, longest + 1):
            found.update(tempo.for_slot(frames).step for frames in slots[count])
        steps[move.name] = tuple(sorted(found - {0}))
    return steps
