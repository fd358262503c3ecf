"""Pydantic models at the API edge: what a request may say and what a response says."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from choreography.generator import LEGACY_STYLES
from choreography.models import Difficulty, EnergyLevel, Style

DifficultyValue = Literal["beginner", "intermediate", "advanced"]
EnergyValue = Literal["low", "medium", "high"]
StyleValue = Literal["romantic", "energetic", "sensual", "playful", "modern", "traditional"]

assert set(DifficultyValue.__args__) == set(Difficulty.values)  # type: ignore[attr-defined]
assert set(EnergyValue.__args__) == set(EnergyLevel.values)  # type: ignore[attr-defined]
assert set(StyleValue.__args__) == set(Style.values) | set(LEGACY_STYLES)  # type: ignore[attr-defined]


class GenerateRequest(BaseModel):
    """Body of POST /api/choreography/generate/."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    song_id: int = Field(ge=1, le=2**31 - 1)
    difficulty: DifficultyValue = "intermediate"
    energy_level: EnergyValue = "medium"
    style: StyleValue | None = Field(
        None,
        description='A library style; "modern" means energetic or playful, '
        '"traditional" means romantic or sensual.',
    )
    seed: int | None = Field(None, ge=0, le=2**31 - 1)


class TimelineEntry(BaseModel):
    name: str
    label: str
    start_time: float
    duration: float
    difficulty: str
    energy_level: str
    style: str


class GenerateResponse(BaseModel):
    task_id: str
    status: Literal["completed"]
    video_url: str
    duration_seconds: float
    song_id: int
    seed: int
    stage: str
    progress: int
    moves: list[TimelineEntry]
    relaxed_filters: list[str]
    stage_seconds: dict[str, float]


class SongOut(BaseModel):
    id: int
    title: str
    artist: str
    duration_seconds: float
    bpm: float


class ErrorOut(BaseModel):
    error: str
    details: str | list | dict | None = None
    stage: str
