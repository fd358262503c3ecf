"""What a generation hands the assembly from library rows: the poster, the stored streams.

No queries here: rows in, plain facts out. How a row looks to the pure generator
(``move_option``, ``song_facts``) is the library's (choreography.library.options)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assembly import ClipHint
from choreography.models import ChoreographyTask, Move, MoveRole, MoveVariant
from choreography.music.generator import DEFAULT_SONG_BPM, MoveOption
from choreography.music.tempo import variant_key


def poster_key(timeline: Sequence[MoveOption], moves: Sequence[Move]) -> str:
    """The poster of the first move danced (an intro's only if no other move has one), or ""
    when none has a poster (moves imported before posters existed)."""
    posters = {m.name: m.poster_key for m in moves if m.poster_key}
    ordered = sorted(timeline, key=lambda option: option.role == MoveRole.INTRO)
    return next((posters[o.name] for o in ordered if o.name in posters), "")


def clip_hints(moves: list[Move]) -> dict[str, ClipHint]:
    """The stored elementary streams, so the assembly fetches and probes no MP4."""
    return {
        m.clip_key: ClipHint(m.stream_key, tuple(m.frame_offsets))
        for m in moves
        if m.stream_key and m.frame_offsets
    }


def variant_hints(
    moves: list[Move], variants: Mapping[tuple[int, int], MoveVariant]
) -> dict[str, ClipHint]:
    """The stored stream of each tempo variant, under the name the blueprint gives it."""
    by_pk = {m.pk: m for m in moves}
    return {
        variant_key(by_pk[pk].clip_key, step): ClipHint(v.stream_key, tuple(v.frame_offsets))
        for (pk, step), v in variants.items()
    }


def beat_grid(task: ChoreographyTask) -> dict[str, float]:
    """The grid the timeline was planned on; tasks from before it was stored fall back to the
    song's (when loaded with the task: no query on the event loop), else the planner's default."""
    result = task.result or {}
    if "bpm" in result:
        return {"bpm": result["bpm"], "first_beat_seconds": result["first_beat_seconds"]}
    song = task.song if ChoreographyTask.song.is_cached(task) else None
    if song is None:
        return {"bpm": DEFAULT_SONG_BPM, "first_beat_seconds": 0.0}
    return {"bpm": song.bpm, "first_beat_seconds": song.first_beat_seconds}
