"""The blueprint: the JSON plan an assembly follows, validated before any I/O.

It reads the seed system's format. The assembly joins stored clips by stream copy, so it applies
the timeline (``video_path``, ``start_time``, ``duration``), ``trim_end`` (a clip is cut after
that frame), the audio codec and bitrate, and checks ``frame_rate`` against the library's. Every
other field is typed, checked and kept, and a request the copy cannot honour (a crossfade, a
volume change...: see ``IGNORED``) is logged once per process, never refused. Unknown fields are
kept too: ``Blueprint.parse(text).to_json()`` gives back the document that was read.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from assembly.errors import BlueprintError
from storage import InvalidKeyError, validate_key

logger = logging.getLogger(__name__)

CONTIGUITY_TOLERANCE_S = 0.001

IGNORED: dict[str, str] = {
    "crossfade": "moves are joined by cuts; a crossfade would mean re-encoding the video",
    "trim_start": "clips play from their first frame, the only frame the stored streams can "
    "be cut at by copy (their frame index does not say which frames are keyframes)",
    "volume_adjustment": "clips carry no audio; the song plays as stored",
    "normalize_audio": "the song plays as stored",
    "fade_duration": "no fades; they would mean re-encoding",
    "add_audio_overlay=false": "the song is always laid under the video",
    "output_format": "the video is always MP4",
    "total_duration": "the moves decide the video's length",
}
"""What a blueprint may ask for that the assembly accepts but does not do, and why."""


@functools.cache
def _log_ignored(feature: str) -> None:
    """Once per process and feature: a busy server would otherwise say it on every request."""
    logger.warning("blueprint %s is accepted but not applied: %s", feature, IGNORED[feature])


def _storage_key(value: str) -> str:
    """The storage layer's one key rule, as a ValueError pydantic reports against the field."""
    try:
        return validate_key(value)
    except InvalidKeyError as exc:
        raise ValueError(str(exc)) from None


StorageKey = Annotated[str, AfterValidator(_storage_key)]
"""A key the storage layer accepts: relative, no '..', '.' or empty segment, no NUL or '\\'."""


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


NonNegative = Annotated[float, Field(ge=0), AfterValidator(_finite)]
Positive = Annotated[float, Field(gt=0), AfterValidator(_finite)]


class _Frozen(BaseModel):
    """Immutable; unknown fields are kept (and serialized) so another system's data survives."""

    model_config = ConfigDict(frozen=True, extra="allow", serialize_by_alias=True)


class BlueprintMove(_Frozen):
    video_path: StorageKey
    start_time: NonNegative
    duration: Positive
    clip_id: str | None = None
    transition_type: Literal["cut", "crossfade"] | None = None
    original_duration: Positive | None = None
    trim_start: NonNegative | None = None
    trim_end: Positive | None = None
    volume_adjustment: NonNegative | None = None

    @model_validator(mode="after")
    def _trim_ordered(self) -> BlueprintMove:
        start = self.trim_start or 0.0
        if self.trim_end is not None and self.trim_end <= start:
            raise ValueError(f"trim_end ({self.trim_end}s) must be after trim_start ({start}s)")
        return self

    def frame_limit(self, fps: int) -> int | None:
        """How many of its clip's first frames the move may play: those before ``trim_end``."""
        return None if self.trim_end is None else max(1, round(self.trim_end * fps))

    def ignored(self) -> Iterator[str]:
        """Keys of IGNORED this move asks for."""
        if self.transition_type == "crossfade":
            yield "crossfade"
        if self.trim_start:
            yield "trim_start"
        if self.volume_adjustment not in (None, 1.0):
            yield "volume_adjustment"


class OutputConfig(_Frozen):
    output_path: StorageKey
    video_codec: str = "libx264"
    audio_codec: str = "aac"
    video_bitrate: str = "2M"
    audio_bitrate: str = "128k"
    output_format: str | None = None
    frame_rate: Positive | None = None
    transition_duration: NonNegative | None = None
    fade_duration: NonNegative | None = None
    add_audio_overlay: bool | None = None
    normalize_audio: bool | None = None

    def check_frame_rate(self, fps: int) -> None:
        """Clips are joined by copy at the rate they were imported at: no other rate is possible."""
        if self.frame_rate is not None and not math.isclose(self.frame_rate, fps):
            raise BlueprintError(
                f"output_config.frame_rate is {self.frame_rate:g} fps "
                f"but the library's clips are {fps} fps",
                details=f"the clips are joined without re-encoding; omit frame_rate or set it to {fps}",
            )

    def ignored(self) -> Iterator[str]:
        """Keys of IGNORED this configuration asks for (``transition_duration`` goes with crossfade)."""
        if self.output_format not in (None, "mp4"):
            yield "output_format"
        if self.fade_duration:
            yield "fade_duration"
        if self.normalize_audio:
            yield "normalize_audio"
        if self.add_audio_overlay is False:
            yield "add_audio_overlay=false"


class Blueprint(_Frozen):
    task_id: str = Field(min_length=1)
    audio_path: StorageKey
    moves: tuple[BlueprintMove, ...] = Field(min_length=1)
    output_config: OutputConfig
    audio_tempo: Positive | None = None
    declared_duration: NonNegative | None = Field(default=None, alias="total_duration")
    """The seed's ``total_duration``; the ``total_duration`` property is where the moves end."""
    difficulty_level: str | None = None
    generation_timestamp: str | None = None
    generation_parameters: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _moves_contiguous(self) -> Blueprint:
        """The moves tile the timeline from 0 with no gap or overlap: the video covers the song."""
        if abs(self.moves[0].start_time) > CONTIGUITY_TOLERANCE_S:
            raise ValueError(f"the first move must start at 0, not {self.moves[0].start_time}s")
        for index, (previous, current) in enumerate(
            zip(self.moves, self.moves[1:], strict=False), start=1
        ):
            end = previous.start_time + previous.duration
            if abs(current.start_time - end) > CONTIGUITY_TOLERANCE_S:
                raise ValueError(
                    f"moves.{index} starts at {current.start_time}s but the previous move "
                    f"ends at {end:.6f}s: moves must be contiguous"
                )
        return self

    @model_validator(mode="after")
    def _log_ignored_features(self) -> Blueprint:
        for feature in sorted(self.ignored()):
            _log_ignored(feature)
        return self

    @property
    def total_duration(self) -> float:
        last = self.moves[-1]
        return last.start_time + last.duration

    def ignored(self) -> set[str]:
        """Keys of IGNORED this blueprint asks for."""
        found = {feature for move in self.moves for feature in move.ignored()}
        found.update(self.output_config.ignored())
        declared = self.declared_duration
        if declared is not None and abs(declared - self.total_duration) > CONTIGUITY_TOLERANCE_S:
            found.add("total_duration")
        return found

    def to_json(self) -> str:
        """JSON holding exactly the fields that were set: defaults the input left out stay out."""
        return self.model_dump_json(exclude_unset=True)

    @classmethod
    def parse(cls, data: object) -> Blueprint:
        """Validate a dict or JSON text; BlueprintError names each invalid field and why."""
        try:
            if isinstance(data, str | bytes):
                return cls.model_validate_json(data)
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _blueprint_error(exc) from exc


def _blueprint_error(exc: ValidationError) -> BlueprintError:
    """The message names the fields (for the client), the details say what is wrong with each."""
    errors = exc.errors(include_url=False)
    fields = [".".join(str(part) for part in err["loc"]) or "blueprint" for err in errors]
    problems = "; ".join(
        f"{field}: {err['msg']}" for field, err in zip(fields, errors, strict=True)
    )
    return BlueprintError(
        f"invalid blueprint: {', '.join(dict.fromkeys(fields))}", details=problems
    )
