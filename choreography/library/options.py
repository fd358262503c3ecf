"""Library rows as the pure generator sees them (no queries here: rows in, plain facts out).

Below generation: the generation use case and the library's tempo variants both read moves
and songs this way.
"""

from __future__ import annotations

from choreography.models import Move, Song
from choreography.music.generator import MoveOption, SongFacts


def song_facts(song: Song) -> SongFacts:
    """The song's analysis: duration, tempo, first downbeat and per-phrase energy."""
    return SongFacts(
        audio_key=song.audio_key,
        duration=song.duration_seconds,
        bpm=song.bpm,
        first_beat=song.first_beat_seconds,
        energy_curve=tuple(float(value) for value in song.energy_curve or ()),
    )


def move_option(move: Move, *, preferred: bool = False) -> MoveOption:
    """``preferred``: chosen first among equals (a studio's own move, with library "both")."""
    return MoveOption(
        preferred=preferred,
        name=move.name,
        label=move.label,
        clip_key=move.clip_key,
        duration=move.duration_seconds,
        difficulty=move.difficulty,
        energy_level=move.energy_level,
        style=move.style,
        tempo_bpm=move.tempo_bpm,
        role=move.role,
        frames=move.frames,
    )
