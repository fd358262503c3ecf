"""Pydantic models at the API edge: what a request may say and what a response says."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field, model_validator

from choreography.describe.interpretation import Interpretation
from choreography.music.generator import LEGACY_STYLES
from choreography.music.vocabulary import (
    DEFAULT_DIFFICULTY,
    DEFAULT_ENERGY_LEVEL,
    DIFFICULTIES,
    ENERGY_LEVELS,
    STYLES,
)

DifficultyValue = Literal[DIFFICULTIES]  # type: ignore[valid-type]
EnergyValue = Literal[ENERGY_LEVELS]  # type: ignore[valid-type]
LibraryStyleValue = Literal[STYLES]  # type: ignore[valid-type]
"""The library's styles (what a move is, a preference, a catalog filter)."""
StyleValue = Literal[(*STYLES, *LEGACY_STYLES)]  # type: ignore[valid-type]
"""What a generation may ask for: a library style or a legacy one (music.generator)."""


def json_int(*, ge: int, le: int):
    """A JSON integer within [ge, le]: ``2``, never ``2.0``, ``"2"`` or ``true`` (strict)."""
    return Annotated[int, Field(ge=ge, le=le)]


SongId = json_int(ge=1, le=2**31 - 1)
SectionSeconds = Annotated[float, Field(ge=0, le=24 * 3600, allow_inf_nan=False)]
"""Seconds into a song (a JSON number: 60 or 60.5)."""
Seed = json_int(ge=0, le=2**31 - 1)
StudioId = json_int(ge=1, le=2**63 - 1)


class GenerateRequest(BaseModel):
    """Body of POST /api/choreography/generate/.

    Strict: the JSON types must be the documented ones (no "1" for 1), unknown fields are
    refused, so what the OpenAPI schema says is exactly what is accepted.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    song_id: SongId | None = Field(None, description="Required unless description is given")
    description: str | None = Field(
        None,
        max_length=1000,
        description="What the dancer wants in words, in place of the parameters (see POST "
        "/api/choreography/describe/); parameters sent with it override its reading",
    )
    difficulty: DifficultyValue = DEFAULT_DIFFICULTY
    energy_level: EnergyValue = DEFAULT_ENERGY_LEVEL
    style: StyleValue | None = Field(
        None,
        description="A library style (GET /api/choreography/options/ describes each), or null "
        'for any; still accepted from older clients: "modern" means energetic or playful, '
        '"traditional" means romantic or sensual.',
    )
    seed: Seed | None = Field(
        None,
        description="The variation (the page's Variation field): the same song, parameters and "
        "variation give the same choreography; leave it out for a new random one (the response "
        "says which was used).",
    )
    allow_repeats: bool = Field(
        False,
        description="Let a move play twice in a row and a sequence of moves come back; by "
        "default a routine never does while the library has other moves to play",
    )
    start_seconds: SectionSeconds | None = Field(
        None,
        description="Only part of the song: it starts at the phrase boundary (an 8-count's "
        "count 1, or the song's start) nearest this second. See the section in the response.",
    )
    end_seconds: SectionSeconds | None = Field(
        None,
        description="...and stops at the phrase boundary (or the song's end) nearest this "
        "second, at least one phrase after the start. 400 when after the song's end.",
    )
    duration_seconds: SectionSeconds | None = Field(
        None,
        description="Instead of start/end: about this long from the start of the first phrase "
        "(the first downbeat), ending on the nearest phrase boundary, e.g. 60 to practise one "
        "minute of a long song.",
    )

    @model_validator(mode="after")
    def _one_way_to_say_the_section(self) -> GenerateRequest:
        if self.duration_seconds is not None and (
            self.start_seconds is not None or self.end_seconds is not None
        ):
            raise ValueError("send duration_seconds, or start_seconds/end_seconds, not both")
        if (
            self.start_seconds is not None
            and self.end_seconds is not None
            and self.end_seconds <= self.start_seconds
        ):
            raise ValueError(
                f"end_seconds ({self.end_seconds:g}) must be after start_seconds "
                f"({self.start_seconds:g})"
            )
        return self

    @model_validator(mode="after")
    def _a_song_or_words(self) -> GenerateRequest:
        if self.song_id is None and self.description is None:
            raise ValueError("song_id is required unless description is given")
        return self

    library: Literal["public", "studio", "both"] = Field(
        "public",
        description='Which moves: the public library, the studio\'s ("studio", needs '
        "studio_id), or both (the studio's preferred)",
    )
    studio_id: StudioId | None = Field(
        None, description="A studio you teach or joined (404 otherwise)"
    )

    @model_validator(mode="after")
    def _studio_needs_an_id(self) -> GenerateRequest:
        if self.library != "public" and self.studio_id is None:
            raise ValueError(f'library "{self.library}" needs a studio_id')
        return self


class SectionOut(BaseModel):
    """The part of the song the video covers, in seconds of the song, on phrase boundaries."""

    start_seconds: float = Field(description="Second of the song the video starts at")
    end_seconds: float = Field(description="Second of the song the video ends at")


class TimelineEntry(BaseModel):
    name: str
    label: str
    start_time: float
    duration: float
    difficulty: str
    energy_level: str
    style: str
    tempo_error_percent: float | None = Field(
        None,
        description="|tempo the move is danced at in the video / song tempo - 1|, in percent "
        "(the move plays its tempo variant nearest the song); null for choreographies made "
        "before tempo variants",
    )


VideoUrl = Annotated[str, Field(description="Signed link to the video; expires (CHOREO_URL_TTL_S)")]
DownloadUrl = Annotated[
    str,
    Field(
        description="The same video as an attachment named after the song and parameters "
        "(e.g. demo-bachata-lenta-beginner-medium-romantic.mp4); expires with video_url"
    ),
]
PosterUrl = Annotated[
    str | None,
    Field(
        description="Signed link to a JPEG of its first move (expires with video_url); "
        "null when that move has no poster"
    ),
]
"""The links every answer about a finished video carries (generate, history, detail)."""


class SongRef(BaseModel):
    id: int
    title: str
    artist: str


class GenerationParameters(BaseModel):
    """The parameters a choreography was generated with (seed included, to reproduce it)."""

    song_id: int | None = None
    difficulty: str | None = None
    energy_level: str | None = None
    style: str | None = None
    seed: int | None = None
    start_seconds: float | None = None
    end_seconds: float | None = None
    allow_repeats: bool = False


class UsedParameters(GenerationParameters):
    """What a generation used: the request's parameters with every default filled in (the
    variation drawn when none was sent, the section snapped to phrases, the library)."""

    library: Literal["public", "studio", "both"] = "public"
    studio_id: int | None = None


class ChoiceOut(BaseModel):
    value: str
    description: str = Field(description="What it means, in one line a dancer understands")


class GenerateOptions(BaseModel):
    """What a generate request may choose, each value with a line describing it: what the
    page's selectors offer (choreography.music.vocabulary)."""

    difficulties: list[ChoiceOut]
    energy_levels: list[ChoiceOut]
    styles: list[ChoiceOut] = Field(
        description='The library\'s styles; leave style out (or null) for "any"'
    )
    any_style: str = Field(description="What leaving the style out means")
    defaults: dict[str, str] = Field(description="difficulty and energy_level when not sent")


RELAXED_FILTERS = Field(
    [],
    description="The filters the planner widened because too few moves matched them (of "
    "difficulty, style, energy_level); empty when every move is what was asked",
)
OFF_TEMPO_MOVES = Field(
    [],
    description="Moves the song re-times by more than ±30 % (MAX_RETIME), played because "
    "the pool had no other: danced off the song's tempo by their tempo_error_percent. "
    "Empty when every move is within 1 % (give or take a frame) of the song's tempo",
)
BPM = Field(description="Tempo of the song's beat grid, beats per minute")
FIRST_BEAT_SECONDS = Field(
    description="Time of the first downbeat (count 1); the count at time t is "
    "floor((t - first_beat_seconds) * bpm / 60) mod 8 + 1, for t >= first_beat_seconds"
)
"""What a finished video's answer and its detail both say, described once."""


class GenerateResponse(BaseModel):
    """The finished choreography (the plain response, and the SSE ``completed`` event)."""

    task_id: str
    status: Literal["completed"]
    video_url: VideoUrl
    video_url_expires_at: datetime
    download_url: DownloadUrl
    poster_url: PosterUrl
    duration_seconds: float
    song_id: int
    seed: int
    stage: str
    progress: int
    moves: list[TimelineEntry]
    relaxed_filters: list[str] = RELAXED_FILTERS
    off_tempo_moves: list[str] = OFF_TEMPO_MOVES
    bpm: float = BPM
    first_beat_seconds: float = FIRST_BEAT_SECONDS
    stage_seconds: dict[str, float]
    section: SectionOut | None = Field(
        None,
        description="The part of the song the video covers (start/end or duration asked for, "
        "snapped to phrase boundaries); null for the whole song. Move times, bpm and "
        "first_beat_seconds count from the video's start.",
    )
    interpretation: Interpretation | None = Field(
        None, description="How the description was read, when one was sent"
    )
    song: SongRef | None = Field(
        description="The song the video is cut on (null only if it was deleted since)"
    )
    parameters: UsedParameters = Field(
        description="The parameters the video was made with, defaults filled in: difficulty, "
        "energy_level, style, seed (the variation), section, library",
    )


class SongOut(BaseModel):
    id: int
    title: str
    artist: str
    duration_seconds: float
    bpm: float


class ErrorOut(BaseModel):
    """Every error: what went wrong, details (a string, or one entry per bad field), the stage."""

    error: str
    details: str | list | dict | None = None
    stage: str


class VideoOut(BaseModel):
    """One completed choreography in the caller's history."""

    task_id: str
    song: SongRef | None
    parameters: GenerationParameters
    created_at: datetime
    video_url: VideoUrl
    video_url_expires_at: datetime
    download_url: DownloadUrl
    poster_url: PosterUrl
    duration_seconds: float


class VideoDetail(VideoOut):
    moves: list[TimelineEntry]
    relaxed_filters: list[str] = RELAXED_FILTERS
    off_tempo_moves: list[str] = OFF_TEMPO_MOVES
    bpm: float = BPM
    first_beat_seconds: float = FIRST_BEAT_SECONDS


ItemT = TypeVar("ItemT")


class PageQuery(Schema):
    """``?page=&page_size=`` of every paged list."""

    page: int = Field(1, ge=1, le=1_000_000, description="1-based page number")
    page_size: int = Field(20, ge=1, le=100)


class Page(BaseModel, Generic[ItemT]):
    """The envelope of every paged list: ``{items, page, page_size, total, has_next}``."""

    items: list[ItemT]
    page: int
    page_size: int
    total: int
    has_next: bool


def page_out(items: list, query: PageQuery, total: int) -> dict:
    """The envelope of one page of ``items`` out of ``total``, for ``query``'s page."""
    return {
        "items": items,
        "page": query.page,
        "page_size": query.page_size,
        "total": total,
        "has_next": query.page * query.page_size < total,
    }


class VideoPage(Page[VideoOut]):
    pass


BODY_ERRORS = {413: ErrorOut, 415: ErrorOut}
"""What any operation with a JSON body may also answer: too large (at the ASGI door), not JSON."""

NOTES_MAX = 4000
"""Longest notes field: one character over it, even written as JSON \\u escapes of astral
characters (12 bytes each), still fits under CHOREO_MAX_BODY_BYTES (64 KiB), so a too-long note
is a 400 naming the field rather than a 413 at the door."""
