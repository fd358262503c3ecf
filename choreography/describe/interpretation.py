"""What a description was read as: the plain-data catalog in, the Interpretation out.

Pure pydantic, no Django: the built-in interpreter and the LLM adapter both return an
Interpretation, and the API echoes it as it is.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CatalogSong(BaseModel):
    """One song of the catalog as the interpreter sees it."""

    model_config = ConfigDict(frozen=True)

    id: int
    title: str
    artist: str = ""
    bpm: float
    genre: str = "bachata"
    duration_seconds: float = 0.0


class Reading(BaseModel):
    """One parameter: its value, the words of the text it came from, and why."""

    value: str | None = Field(description="The value chosen; null for style means any style")
    words: list[str] = Field(
        default_factory=list, description="The words of the text it came from (empty: assumed)"
    )
    assumed: bool = Field(description="True when the text was silent and a default was taken")
    why: str


class SongReading(BaseModel):
    """The song chosen: named in the text, or picked to fit what was asked."""

    id: int | None
    title: str | None = None
    artist: str | None = None
    bpm: float | None = None
    words: list[str] = Field(default_factory=list)
    assumed: bool = Field(description="True when the text named no song and one was picked")
    why: str


class SectionReading(BaseModel):
    """The part of the song to dance: all of it, or a length or a stretch in seconds."""

    start_seconds: float | None = None
    end_seconds: float | None = None
    duration_seconds: float | None = Field(
        None, description="Seconds from the start of the first phrase"
    )
    words: list[str] = Field(default_factory=list)
    assumed: bool
    why: str


class Interpretation(BaseModel):
    """A description read as generation parameters, with the reasoning step by step."""

    text: str
    interpreter: Literal["built-in", "llm"] = Field(
        "built-in", description="Which interpreter answered"
    )
    fallback_reason: str | None = Field(
        None, description="Why the LLM did not answer when one is configured (timeout, error…)"
    )
    song: SongReading
    difficulty: Reading
    energy_level: Reading
    style: Reading
    tempo: Reading = Field(description='"slow", "medium", "fast", "120 bpm" or null')
    section: SectionReading
    assumptions: list[str] = Field(description="What was taken where the text was silent")
    steps: list[str] = Field(description="The reasoning, step by step")

    def parameters(self) -> dict:
        """The generate fields this interpretation stands for (song_id, difficulty, ...)."""
        return {
            "song_id": self.song.id,
            "difficulty": self.difficulty.value,
            "energy_level": self.energy_level.value,
            "style": self.style.value,
        }

    def section_fields(self) -> dict:
        """start_seconds / end_seconds / duration_seconds that are set."""
        fields = {
            "start_seconds": self.section.start_seconds,
            "end_seconds": self.section.end_seconds,
            "duration_seconds": self.section.duration_seconds,
        }
        return {k: v for k, v in fields.items() if v is not None}


class NotUnderstood(ValueError):
    """Raised when a text holds nothing the interpreter knows (empty or nonsense)."""
