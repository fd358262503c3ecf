"""The catalog's read side: songs (public) and moves (signed in), searched, filtered and paged.

Paging is the videos history's: ``{items, page, page_size, total, has_next}``, page >= 1,
page_size 1..100 (default 20); a page past the end has no items and the right total.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import BaseModel, Field

from choreography.api.request_context import runtime_of
from choreography.api.schemas import (
    DifficultyValue,
    EnergyValue,
    ErrorOut,
    LibraryStyleValue,
    Page,
    PageQuery,
    page_out,
)
from choreography.library import catalog
from choreography.library.catalog import MoveFilters, SongFilters
from choreography.library.variants import missing_for_song

router = Router(tags=["catalog"])

AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut}

SongOrdering = Literal[
    "title", "-title", "artist", "-artist", "bpm", "-bpm", "duration", "-duration",
    "created", "-created",
]  # fmt: skip
assert {o.removeprefix("-") for o in SongOrdering.__args__} == set(catalog.SONG_ORDERINGS)  # type: ignore[attr-defined]
RoleValue = Literal["move", "intro", "outro"]
NO_NUL = r"^[^\x00]*$"
"""Text parameters may not hold NUL (PostgreSQL refuses it in a query)."""


class SongQuery(PageQuery):
    q: str = Field(
        "",
        max_length=200,
        pattern=NO_NUL,
        description="Words of the title or artist; case and accents ignored",
    )
    genre: str = Field("", max_length=50, pattern=NO_NUL)
    bpm_min: float | None = Field(None, gt=0, le=1000, allow_inf_nan=False)
    bpm_max: float | None = Field(None, gt=0, le=1000, allow_inf_nan=False)
    duration_min: float | None = Field(
        None, ge=0, le=86_400, allow_inf_nan=False, description="seconds"
    )
    duration_max: float | None = Field(
        None, ge=0, le=86_400, allow_inf_nan=False, description="seconds"
    )
    ordering: SongOrdering = Field(
        "title", description="A field, `-` first for descending; ties by id"
    )


class CatalogSong(BaseModel):
    id: int
    title: str
    artist: str
    genre: str
    duration_seconds: float
    bpm: float
    created_at: datetime


class SongPage(Page[CatalogSong]):
    pass


class Phrase(BaseModel):
    index: int
    start_seconds: float = Field(description="count 1 of this 8-count")
    energy: float | None = Field(
        description="RMS of the phrase, measured at import (None: not measured)"
    )


class SongDetail(CatalogSong):
    first_beat_seconds: float = Field(description="the first downbeat (count 1)")
    beat_confidence: float | None = Field(description="beat-detection clarity 0..1; 1 when given")
    bpm_source: str | None
    first_beat_source: str | None
    phrase_seconds: float = Field(description="length of an 8-count at the song's tempo")
    phrases: list[Phrase]
    variants_ready: bool = Field(
        description="Every tempo variant a generate on this song may play is stored: any "
        "parameters, seed and section make the video by copy alone, with no `retiming` stage. "
        "True once the song's import has returned; false while the server's background "
        "warm-up (CHOREO_WARM_ON_START) or a move added since has variants still to render"
    )


class MoveQuery(PageQuery):
    q: str = Field(
        "", max_length=100, pattern=NO_NUL, description="Part of the name or label (case ignored)"
    )
    difficulty: DifficultyValue | None = None
    energy_level: EnergyValue | None = None
    style: LibraryStyleValue | None = None
    role: RoleValue | None = None


class CatalogMove(BaseModel):
    id: int
    name: str
    label: str
    difficulty: str
    energy_level: str
    style: str
    role: str
    tempo_bpm: float
    duration_seconds: float


class MovePage(Page[CatalogMove]):
    pass


class CoverageQuery(Schema):
    bpm: float | None = Field(
        None, gt=0, le=1000, allow_inf_nan=False, description="a song's tempo"
    )


class CoverageCell(BaseModel):
    difficulty: str
    energy_level: str
    style: str
    moves: int
    in_tempo: int | None = Field(description="moves within ±8 % of bpm (None without bpm)")


class Coverage(BaseModel):
    bpm: float | None
    cells: list[CoverageCell]


def _song(song) -> dict:
    return {
        "id": song.id,
        "title": song.title,
        "artist": song.artist,
        "genre": song.genre,
        "duration_seconds": song.duration_seconds,
        "bpm": song.bpm,
        "created_at": song.created_at,
    }


@router.get(
    "/songs/",
    response={200: SongPage, 400: ErrorOut},
    auth=None,
    summary="Search the song library (filters, ordering, pages)",
)
async def songs(request: HttpRequest, query: Query[SongQuery]):
    filters = SongFilters(
        q=query.q,
        genre=query.genre,
        bpm_min=query.bpm_min,
        bpm_max=query.bpm_max,
        duration_min=query.duration_min,
        duration_max=query.duration_max,
        ordering=query.ordering,
    )
    rows, total = await catalog.search_songs(filters, page=query.page, page_size=query.page_size)
    return page_out([_song(s) for s in rows], query, total)


@router.get(
    "/songs/{song_id}/",
    response={200: SongDetail, 400: ErrorOut, 404: ErrorOut},
    auth=None,
    summary="One song: tempo, first downbeat, confidence, and its 8-count phrases with energy",
)
async def song(request: HttpRequest, song_id: int):
    found = await catalog.get_song(song_id)
    missing = await missing_for_song(found, fps=runtime_of(request).video_format.fps)
    analysis = found.analysis or {}
    phrases = catalog.phrases_of(found)
    return {
        **_song(found),
        "first_beat_seconds": found.first_beat_seconds,
        "beat_confidence": analysis.get("confidence"),
        "bpm_source": analysis.get("bpm_source"),
        "first_beat_source": analysis.get("first_beat_source"),
        "phrase_seconds": catalog.phrase_seconds(found),
        "phrases": phrases,
        "variants_ready": missing == 0,
    }


@router.get(
    "/moves/",
    response={200: MovePage, 400: ErrorOut, **AUTH_ERRORS},
    summary="The move library (filters, pages)",
)
async def moves(request: HttpRequest, query: Query[MoveQuery]):
    filters = MoveFilters(
        difficulty=query.difficulty,
        energy_level=query.energy_level,
        style=query.style,
        role=query.role,
        q=query.q,
    )
    rows, total = await catalog.search_moves(filters, page=query.page, page_size=query.page_size)
    items = [
        {
            field: getattr(m, field)
            for field in CatalogMove.model_fields  # the schema's fields, read off the row
        }
        for m in rows
    ]
    return page_out(items, query, total)


@router.get(
    "/moves/coverage/",
    response={200: Coverage, 400: ErrorOut, **AUTH_ERRORS},
    summary="How many moves each difficulty x energy x style holds (and in tempo with bpm)",
)
async def move_coverage(request: HttpRequest, query: Query[CoverageQuery]):
    return {"bpm": query.bpm, "cells": await catalog.coverage(query.bpm)}
