"""The blueprint: the JSON plan an assembly follows, validated before any I/O."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from assembly.errors import BlueprintError
from storage import InvalidKeyError, validate_key


def _storage_key(value: str) -> str:
    """The storage layer's one key rule, as a ValueError pydantic reports against the field."""
    try:
        return validate_key(value)
    except InvalidKeyError as exc:
        raise ValueError(str(exc)) from None


CONTIGUITY_TOLERANCE_S = 0.001

StorageKey = Annotated[str, AfterValidator(_storage_key)]
"""A key the storage layer accepts: relative, no '..', '.' or empty segment, no NUL or '\\'."""


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BlueprintMove(_Frozen):
    video_path: StorageKey
    start_time: Annotated[float, Field(ge=0), AfterValidator(_finite)]
    duration: Annotated[float, Field(gt=0), AfterValidator(_finite)]


class OutputConfig(_Frozen):
    output_path: StorageKey
    video_codec: str = "libx264"
    audio_codec: str = "aac"
    video_bitrate: str = "2M"
    audio_bitrate: str = "128k"


class Blueprint(_Frozen):
    task_id: str = Field(min_length=1)
    audio_path: StorageKey
    moves: tuple[BlueprintMove, ...] = Field(min_length=1)
    output_config: OutputConfig

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

    @property
    def total_duration(self) -> float:
        last = self.moves[-1]
        return last.start_time + last.duration

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
