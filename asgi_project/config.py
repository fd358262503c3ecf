"""Settings read once from the environment, typed and validated; errors name the variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

BASE_DIR = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """Raised at start-up when an environment variable is missing or invalid."""


class ChoreoConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    env: Literal["demo", "production"] = Field("demo", alias="CHOREO_ENV")
    data_dir: Path = Field(BASE_DIR / "var", alias="CHOREO_DATA_DIR")
    debug: bool = Field(False, alias="DEBUG")
    secret_key: str = Field("", alias="SECRET_KEY")
    allowed_hosts: str = Field("127.0.0.1,localhost,testserver,[::1]", alias="ALLOWED_HOSTS")
    database_url: str = Field("", alias="DATABASE_URL")
    storage_backend: Literal["local", "s3"] = Field("local", alias="STORAGE_BACKEND")
    assembly_timeout_s: float = Field(600.0, gt=0, alias="CHOREO_ASSEMBLY_TIMEOUT_S")
    max_concurrent_assemblies: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, alias="CHOREO_MAX_CONCURRENT_ASSEMBLIES"
    )
    max_concurrent_fetches: int = Field(8, ge=1, alias="CHOREO_MAX_CONCURRENT_FETCHES")
    ffmpeg: str = Field("ffmpeg", alias="CHOREO_FFMPEG")
    ffprobe: str = Field("ffprobe", alias="CHOREO_FFPROBE")
    video_size: str = Field("640x360", alias="CHOREO_VIDEO_SIZE")
    video_fps: int = Field(30, ge=1, le=120, alias="CHOREO_VIDEO_FPS")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", alias="CHOREO_LOG_LEVEL"
    )
    log_format: Literal["console", "json", ""] = Field("", alias="CHOREO_LOG_FORMAT")
    csrf_trusted_origins: str = Field("", alias="CSRF_TRUSTED_ORIGINS")
    https: bool = Field(False, alias="CHOREO_HTTPS")

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> ChoreoConfig:
        if self.env == "production":
            if len(self.secret_key) < 32:
                raise ValueError(
                    "SECRET_KEY: required (at least 32 characters) when CHOREO_ENV=production"
                )
            if self.debug:
                raise ValueError("DEBUG: must be off when CHOREO_ENV=production")
        return self

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" or (not self.log_format and self.env == "production")

    @field_validator("video_size")
    @classmethod
    def _size(cls, value: str) -> str:
        width, sep, height = value.lower().partition("x")
        if not sep or not width.isdigit() or not height.isdigit():
            raise ValueError(f"expected WIDTHxHEIGHT such as 1280x720, got {value!r}")
        if int(width) % 2 or int(height) % 2:
            raise ValueError(f"width and height must be even, got {value!r}")
        return value.lower()

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite://", "postgres://", "postgresql://")):
            raise ValueError("expected a sqlite:// or postgres:// URL")
        return value

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
            if err["loc"]
            else err["msg"].removeprefix("Value error, ")
            for err in exc.errors()
        ]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
