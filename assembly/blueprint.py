"""The blueprint: the JSON plan an assembly follows, validated before any I/O."""

from __future__ import annotations

import math
from pathlib import PurePosixPath
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from assembly.errors import BlueprintError


def _relative_path(value: str) -> str:
    if not value or not value.strip():
        raise ValueError("path must not be empty")
    if value.startswith("/") or "\\" in value or (len(value) > 1 and value[1] == ":"):
        raise ValueError(f"path must be relative, got absolute path {value!r}")
    if "\x00" in value:
        raise ValueError("path must not contain NUL")
    if ".." in PurePosixPath(value).parts:
        raise ValueError(f"path must not contain '..', got {value!r}")
    return value


CONTIGUITY_TOLERANCE_S = 0.001

RelativePath = Annotated[str, AfterValidator(_relative_path)]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BlueprintMove(_Frozen):
    video_path: RelativePath
    start_time: Annotated[float, Field(ge=0), AfterValidator(_finite)]
    duration: Annotated[float, Field(gt=0), AfterValidator(_finite)]


class OutputConfig(_Frozen):
    output_path: RelativePath
    video_codec: str = "libx264"
    audio_codec: str = "aac"
    video_bitrate: str = "2M"
    audio_bitrate: str = "128k"


class Blueprint(_Frozen):
    task_id: str = Field(min_length=1)
    audio_path: RelativePath
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
        """Validate a dict or JSON string, turning pydantic errors into BlueprintError."""
        try:
            if isinstance(data, str | bytes):
                return cls.model_validate_json(data)
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'blueprint'}: {err['msg']}"
                for err in exc.errors()
            )
            raise BlueprintError("invalid blueprint", details=problems) from exc
