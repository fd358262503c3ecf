"""Reading the library: the song catalog (search, filters, ordering, pages) and move coverage.

Queries only; the rules they use (the phrase grid, the tempo tolerance) are the generator's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Count, Q

from choreography.errors import NotFoundError
from choreography.models import Move, Song, fold
from choreography.music.generator import DEFAULT_SONG_BPM, PhraseGrid, tempo_bounds, tempo_fits
from choreography.music.vocabulary import Difficulty, EnergyLevel, Style
from choreography.paging import page_of

SONG_ORDERINGS = {
    "title": "title",
    "artist": "artist",
    "bpm": "bpm",
    "duration": "duration_seconds",
    "created": "created_at",
}
"""``ordering`` words of the song catalog and the field each sorts on (``-`` for descending)."""


@dataclass(frozen=True)
class SongFilters:
    q: str = ""
    genre: str = ""
    bpm_min: float | None = None
    bpm_max: float | None = None
    duration_min: float | None = None
    duration_max: float | None = None
    ordering: str = "title"


def order_by(ordering: str) -> tuple[str, str]:
    """The ORDER BY of an ``ordering`` word, with the id as a stable tie-break."""
    descending = ordering.startswith("-")
    field = SONG_ORDERINGS[ordering.removeprefix("-")]
    return (f"-{field}", "-id") if descending else (field, "id")


def song_query(filters: SongFilters):
    query = Song.objects.all()
    if needle := fold(filters.q.strip()):
        query = query.filter(search_text__contains=needle)
    if filters.genre:
        query = query.filter(genre=filters.genre)
    if filters.bpm_min is not None:
        query = query.filter(bpm__gte=filters.bpm_min)
    if filters.bpm_max is not None:
        query = query.filter(bpm__lte=filters.bpm_max)
    if filters.duration_min is not None:
        query = query.filter(duration_seconds__gte=filters.duration_min)
    if filters.duration_max is not None:
        query = query.filter(duration_seconds__lte=filters.duration_max)
    return query


async def search_songs(filters: SongFilters, *, page: int, page_size: int):
    query = song_query(filters).order_by(*order_by(filters.ordering))
    query = query.defer("energy_curve", "analysis", "search_text", "audio_key")
    return await page_of(query, page=page, page_size=page_size)


async def get_song(song_id: int) -> Song:
    song = None
    if 1 <= song_id < 2**63:  # beyond a 64-bit key no row can match (and SQLite would overflow)
        song = await Song.objects.filter(pk=song_id).afirst()
    if song is None:
        raise NotFoundError(f"no song {song_id}", stage="lookup")
    return song


def grid_of(song: Song) -> PhraseGrid:
    """The song's 8-count grid, as the generator cuts it."""
    bpm = song.bpm if song.bpm > 0 and math.isfinite(song.bpm) else DEFAULT_SONG_BPM
    return PhraseGrid.of(
        bpm=bpm, first_beat=song.first_beat_seconds, duration=song.duration_seconds
    )


def phrase_seconds(song: Song) -> float:
    return round(grid_of(song).phrase, 6)


def phrases_of(song: Song) -> list[dict]:
    """Each 8-count phrase from the first downbeat: its start and measured energy (or None)."""
    grid = grid_of(song)
    curve = list(song.energy_curve or [])
    return [
        {
            "index": i,
            "start_seconds": round(start, 4),
            "energy": curve[i] if i < len(curve) else None,
        }
        for i, start in enumerate(grid.starts())
    ]


@dataclass(frozen=True)
class MoveFilters:
    difficulty: str | None = None
    energy_level: str | None = None
    style: str | None = None
    role: str | None = None
    q: str = ""


def move_query(filters: MoveFilters):
    query = Move.objects.filter(studio_move__isnull=True)  # a studio's clips are not public
    for field in ("difficulty", "energy_level", "style", "role"):
        if (value := getattr(filters, field)) is not None:
            query = query.filter(**{field: value})
    if q := filters.q.strip():
        query = query.filter(name__icontains=q) | query.filter(label__icontains=q)
    return query.order_by("id")


async def search_moves(filters: MoveFilters, *, page: int, page_size: int):
    query = move_query(filters).defer("frame_offsets")
    return await page_of(query, page=page, page_size=page_size)


async def coverage(bpm: float | None) -> list[dict]:
    """Every difficulty x energy x style: how many moves, and how many in tempo with ``bpm``.

    One aggregate query grouped by the combination; the in-tempo count is a filtered COUNT over
    the generator's tempo bounds (``tempo_bounds``; a clip without tempo counts as the default).
    """
    counts = {"moves": Count("id")}
    if bpm is not None:
        low, high = tempo_bounds(bpm)
        fits = Q(tempo_bpm__gte=low, tempo_bpm__lte=high)
        if tempo_fits(0.0, bpm):  # no tempo: the default clip tempo, in tempo with this song
            fits |= Q(tempo_bpm__lte=0)
        counts["fit"] = Count("id", filter=fits)
    rows = (
        Move.objects.filter(studio_move__isnull=True)
        .order_by()
        .values("difficulty", "energy_level", "style")
        .annotate(**counts)
    )
    found = {(r["difficulty"], r["energy_level"], r["style"]): r async for r in rows}
    cells = []
    for d in Difficulty:
        for e in EnergyLevel:
            for s in Style:
                row = found.get((d.value, e.value, s.value), {})
                cells.append(
                    {
                        "difficulty": d.value,
                        "energy_level": e.value,
                        "style": s.value,
                        "moves": row.get("moves", 0),
                        "in_tempo": row.get("fit", 0) if bpm is not None else None,
                    }
                )
    return cells
