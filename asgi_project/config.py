"""Settings read once from the environment, typed and validated; errors name the variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

BASE_DIR = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """Raised at start-up when an environment variable is missing or invalid."""


class ChoreoConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    data_dir: Path = Field(BASE_DIR / "var", alias="CHOREO_DATA_DIR")
    debug: bool = Field(False, alias="DEBUG")
    secret_key: str = Field("", alias="SECRET_KEY")
    allowed_hosts: str = Field("127.0.0.1,localhost,testserver,[::1]", alias="ALLOWED_HOSTS")
    storage_backend: Literal["local", "s3"] = Field("local", alias="STORAGE_BACKEND")
    assembly_timeout_s: float = Field(600.0, gt=0, alias="CHOREO_ASSEMBLY_TIMEOUT_S")
    max_concurrent_assemblies: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, alias="CHOREO_MAX_CONCURRENT_ASSEMBLIES"
    )
    max_concurrent_fetches: int = Field(8, ge=1, alias="CHOREO_MAX_CONCURRENT_FETCHES")
    # The generate request as a long request (back-pressure, streaming, signed links, limits).
    max_in_flight: int = Field(8, ge=1, le=1000, alias="CHOREO_MAX_IN_FLIGHT")
    queue_size: int = Field(16, ge=0, le=10000, alias="CHOREO_QUEUE_SIZE")
    max_per_user: int = Field(2, ge=1, le=1000, alias="CHOREO_MAX_PER_USER")
    sse_keepalive_s: float = Field(15.0, gt=0, le=15, alias="CHOREO_SSE_KEEPALIVE_S")
    url_ttl_s: int = Field(3600, ge=1, le=7 * 24 * 3600, alias="CHOREO_URL_TTL_S")
    max_body_bytes: int = Field(
        64 * 1024, ge=1024, le=10 * 1024 * 1024, alias="CHOREO_MAX_BODY_BYTES"
    )
    ffmpeg: str = Field("ffmpeg", alias="CHOREO_FFMPEG")
    ffprobe: str = Field("ffprobe", alias="CHOREO_FFPROBE")
    video_size: str = Field("640x360", alias="CHOREO_VIDEO_SIZE")
    video_fps: int = Field(30, ge=1, le=120, alias="CHOREO_VIDEO_FPS")
    log_level: str = Field("INFO", alias="CHOREO_LOG_LEVEL")

    @field_validator("video_size")
    @classmethod
    def _size(cls, value: str) -> str:
        width, sep, height = value.lower().partition("x")
        if not sep or not width.isdigit() or not height.isdigit():
            raise ValueError(f"expected WIDTHxHEIGHT such as 1280x720, got {value!r}")
        if int(width) % 2 or int(height) % 2:
            raise ValueError(f"width and height must be even, got {value!r}")
        return value.lower()

    @property
    def video_dimensions(self) -> tuple[int, int]:
        width, _, height = self.video_size.partition("x")
        return int(width), int(height)


def load_config(environ: Mapping[str, str] | None = None) -> ChoreoConfig:
    """Build the config from ``environ``; ConfigError lists every bad variable on its own line."""
    environ = os.environ if environ is None else environ
    names = {field.alias for field in ChoreoConfig.model_fields.values() if field.alias}
    values = {name: environ[name] for name in names if name in environ and environ[name] != ""}
    try:
        return ChoreoConfig.model_validate(values)
    except ValidationError as exc:
        lines = [
            f"{err['loc'][0]}={values.get(str(err['loc'][0]), '')!r}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
