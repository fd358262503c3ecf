"""The blueprint: the JSON plan an assembly follows, validated before any I/O.

It reads the seed system's documents verbatim, with that system's meaning for each field. The
assembly joins stored clips by stream copy and applies:

- the timeline (``video_path``, ``start_time``, ``duration``);
- ``trim_start`` / ``trim_end``: seconds trimmed from the start / the end of the clip (0 = none).
  The end trim is frame-exact; the start trim lands on the clip's keyframe nearest to it, the
  only frames a copy can start at (canonical clips have one every 2 s, see ``ClipTrim``);
- ``volume_adjustment`` (0-1): the song's volume under that move (the audio is then encoded;
  the video stays a copy);
- the audio codec and bitrate, and ``frame_rate`` checked against the library's.

``transition_type`` is recorded and rendered as a cut, as the seed system's assembler did. Every
other field is typed, checked and kept, and a request the copy cannot honour (see ``IGNORED``) is
logged once per process, never refused. Unknown fields are kept too:
``Blueprint.parse(text).to_json()`` gives back the document that was read.
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
    "crossfade": "recorded and rendered as a cut (as the seed system's assembler did); a "
    "crossfade would mean re-encoding the video",
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
Volume = Annotated[float, Field(ge=0, le=1), AfterValidator(_finite)]


class _Frozen(BaseModel):
    """Immutable; unknown fields are kept (and serialized) so another system's data survives."""

    model_config = ConfigDict(frozen=True, extra="allow", serialize_by_alias=True)


class BlueprintMove(_Frozen):
    video_path: StorageKey
    start_time: NonNegative
    duration: Positive
    clip_id: str | None = None
    transition_type: Literal["cut", "crossfade"] | None = None
    """Recorded; every move is joined to the next by a cut (a crossfade too)."""
    original_duration: Positive | None = None
    """The clip's length as the writer saw it, seconds; trims must leave some of it."""
    trim_start: NonNegative | None = None
    """Seconds trimmed from the start of the clip (0 or absent: none)."""
    trim_end: NonNegative | None = None
    """Seconds trimmed from the end of the clip (0 or absent: none)."""
    volume_adjustment: Volume | None = None
    """The song's volume under this move, 0 (silent) to 1 (as stored, the default)."""

    @model_validator(mode="after")
    def _trims_leave_some_clip(self) -> BlueprintMove:
        """With the clip's length declared, both trims together must leave part of it."""
        trimmed = (self.trim_start or 0.0) + (self.trim_end or 0.0)
        if self.original_duration is not None and trimmed >= self.original_duration:
            raise ValueError(
                f"trim_start ({self.trim_start or 0.0:g}s) and trim_end "
                f"({self.trim_end or 0.0:g}s) overlap: together they trim {trimmed:g}s "
                f"of a {self.original_duration:g}s clip (original_duration)"
            )
        return self

    @property
    def volume(self) -> float:
        """The song's gain under this move (1.0 when the blueprint does not say)."""
        return 1.0 if self.volume_adjustment is None else self.volume_adjustment

    def trim_frames(self, fps: int) -> tuple[int, int]:
        """(frames to trim from the start, frames to trim from the end), rounded to frames."""
        return round((self.trim_start or 0.0) * fps), round((self.trim_end or 0.0) * fps)

    def ignored(self) -> Iterator[str]:
        """Keys of IGNORED this move asks for."""
        if self.transition_type == "crossfade":
            yield "crossfade"


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
    audio_start: NonNegative | None = None
    """choreo's own (the seed format always starts the song at 0): the second of the song the
    video starts at, for a video of a section of it. Move times count from there."""

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

    def volume_segments(self) -> list[tuple[float, float, float]]:
        """(start, end, gain) of each run of consecutive moves whose song gain is not 1.0.

        Empty when every move plays the song as stored: the assembly then copies the audio.
        """
        segments: list[tuple[float, float, float]] = []
        for move in self.moves:
            if move.volume == 1.0:
                continue
            end = move.start_time + move.duration
            last = segments[-1] if segments else None
            if (
                last is not None
                and last[2] == move.volume
                and abs(last[1] - move.start_time) <= CONTIGUITY_TOLERANCE_S
            ):
                segments[-1] = (segments[-1][0], end, move.volume)
            else:
                segments.append((move.start_time, end, move.volume))
        return segments

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
