"""Settings read once from the environment, typed and validated; errors name the variable."""

from __future__ import annotations

import ipaddress
import os
import re
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

from assembly import InputLimits, VideoFormat
from storage import InvalidKeyError, validate_key

BASE_DIR = Path(__file__).resolve().parent.parent

BUCKET_NAME = re.compile(r"^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
"""S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens; not an IP address."""


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
    warm_on_start: bool = Field(False, alias="CHOREO_WARM_ON_START")
    """A serving process renders the library's missing tempo variants in the background (serve
    sets it after building the demo library)."""
    # The generate request as a long request (back-pressure, streaming, signed links, limits).
    queue_timeout_s: float = Field(60.0, gt=0, le=3600, alias="CHOREO_QUEUE_TIMEOUT_S")
    queue_size: int = Field(16, ge=0, le=10000, alias="CHOREO_QUEUE_SIZE")
    max_per_user: int = Field(2, ge=1, le=1000, alias="CHOREO_MAX_PER_USER")
    sse_keepalive_s: float = Field(15.0, gt=0, le=15, alias="CHOREO_SSE_KEEPALIVE_S")
    lease_s: float = Field(30.0, ge=0.5, le=3600, alias="CHOREO_LEASE_S")
    public_url: str = Field("", alias="CHOREO_PUBLIC_URL")
    url_ttl_s: int = Field(3600, ge=1, le=7 * 24 * 3600, alias="CHOREO_URL_TTL_S")
    max_body_bytes: int = Field(
        64 * 1024, ge=1024, le=10 * 1024 * 1024, alias="CHOREO_MAX_BODY_BYTES"
    )
    unsaved_ttl_days: float = Field(7.0, ge=0, le=36500, alias="CHOREO_UNSAVED_TTL_DAYS")
    """Unsaved generations are kept this long, then pruning removes them (row and video)."""
    prune_interval_s: float = Field(3600.0, ge=0, le=7 * 24 * 3600, alias="CHOREO_PRUNE_INTERVAL_S")
    """How often a serving process prunes unsaved generations older than CHOREO_UNSAVED_TTL_DAYS
    (one process at a time, under a lease); 0 turns the schedule off (prune_videos by hand)."""
    min_free_disk_mb: int = Field(500, ge=0, le=10_000_000, alias="CHOREO_MIN_FREE_DISK_MB")
    """Generations and uploads are refused (507) while the data dir's filesystem has less free
    space than this, in MiB; 0 turns the floor off."""
    user_quota_mb: int = Field(2048, ge=1, le=10_000_000, alias="CHOREO_USER_QUOTA_MB")
    """Per-user storage quota: the sum of the user's completed videos, in MiB."""
    studio_quota_mb: int = Field(2048, ge=1, le=10_000_000, alias="CHOREO_STUDIO_QUOTA_MB")
    """Per-studio storage quota: the originals and canonical clips of its uploaded moves, in
    MiB; an upload past it is refused (413) with what is left."""
    open_instructors: bool = Field(False, alias="CHOREO_OPEN_INSTRUCTORS")
    """Every request to become an instructor is approved at once (a single-studio install)."""
    max_upload_mb: int = Field(500, ge=1, le=100_000, alias="CHOREO_MAX_UPLOAD_MB")
    """Largest media upload (POST /api/songs/ and /api/moves/, multipart), in MiB."""
    max_song_s: float = Field(900.0, gt=0, le=24 * 3600, alias="CHOREO_MAX_SONG_S")
    """Longest song an import takes, in seconds (read from the probe, before any decode)."""
    max_move_s: float = Field(120.0, ge=1, le=3600, alias="CHOREO_MAX_MOVE_S")
    """Longest move clip an import takes, in seconds."""
    ffmpeg: str = Field("ffmpeg", alias="CHOREO_FFMPEG")
    ffprobe: str = Field("ffprobe", alias="CHOREO_FFPROBE")
    video_size: str = Field("1280x720", alias="CHOREO_VIDEO_SIZE")
    video_fps: int = Field(30, ge=1, le=120, alias="CHOREO_VIDEO_FPS")
    video_crf: int = Field(
        VideoFormat.model_fields["crf"].default, ge=0, le=51, alias="CHOREO_VIDEO_CRF"
    )
    """x264 CRF of canonical clips (bench/quality.py chose the default on SSIM and bitrate)."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", alias="CHOREO_LOG_LEVEL"
    )
    log_format: Literal["console", "json", ""] = Field("", alias="CHOREO_LOG_FORMAT")
    csrf_trusted_origins: str = Field("", alias="CSRF_TRUSTED_ORIGINS")
    https: bool = Field(False, alias="CHOREO_HTTPS")
    # Accounts: login token lifetime, guessing throttle, the shared cache, browser origins.
    token_ttl_days: int = Field(30, ge=1, le=3650, alias="CHOREO_TOKEN_TTL_DAYS")
    token_max_days: int = Field(90, ge=1, le=3650, alias="CHOREO_TOKEN_MAX_DAYS")
    """No API token lives longer: personal tokens, issue_token's, and tokens made by a token."""
    signin_link_ttl_s: int = Field(900, ge=60, le=3 * 24 * 3600, alias="CHOREO_SIGNIN_LINK_TTL_S")
    """One-time sign-in links (signin_link, serve) expire after this many seconds."""
    throttle_failures: int = Field(10, ge=1, le=10000, alias="CHOREO_THROTTLE_FAILURES")
    """Failed attempts per (account, client address) in a window before 429."""
    throttle_address_failures: int = Field(
        100, ge=1, le=1_000_000, alias="CHOREO_THROTTLE_ADDRESS_FAILURES"
    )
    """Failed attempts per client address, over every account, in a window before 429."""
    throttle_window_s: int = Field(900, ge=1, le=7 * 24 * 3600, alias="CHOREO_THROTTLE_WINDOW_S")
    signups_per_hour: int = Field(10, ge=1, le=1_000_000, alias="CHOREO_SIGNUPS_PER_HOUR")
    """Accounts created per client address in an hour before 429."""
    trusted_proxies: str = Field("", alias="CHOREO_TRUSTED_PROXIES")
    """Comma-separated IPs/CIDRs whose X-Forwarded-For is believed; none by default."""
    metrics_allow: str = Field("", alias="CHOREO_METRICS_ALLOW")
    """Comma-separated IPs/CIDRs that may read /metrics without signing in as staff."""
    redis_url: str = Field("", alias="REDIS_URL")
    cors_allowed_origins: str = Field("", alias="CORS_ALLOWED_ORIGINS")
    # Email (password-reset links): the console backend unless EMAIL_HOST names an SMTP server.
    email_backend: str = Field("", alias="EMAIL_BACKEND")
    email_host: str = Field("", alias="EMAIL_HOST")
    email_port: int = Field(587, ge=1, le=65535, alias="EMAIL_PORT")
    email_host_user: str = Field("", alias="EMAIL_HOST_USER")
    email_host_password: str = Field("", alias="EMAIL_HOST_PASSWORD")
    email_use_tls: bool = Field(True, alias="EMAIL_USE_TLS")
    default_from_email: str = Field("choreo <noreply@localhost>", alias="DEFAULT_FROM_EMAIL")
    # Describe it in words: an optional OpenAI-compatible chat endpoint; off when the URL is empty.
    llm_base_url: str = Field("", alias="CHOREO_LLM_BASE_URL")
    llm_model: str = Field("", alias="CHOREO_LLM_MODEL")
    llm_api_key: str = Field("", alias="CHOREO_LLM_API_KEY")
    llm_timeout_s: float = Field(5.0, gt=0, le=120, alias="CHOREO_LLM_TIMEOUT_S")

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

    @model_validator(mode="after")
    def _login_tokens_within_the_maximum(self) -> ChoreoConfig:
        if self.token_ttl_days > self.token_max_days:
            raise ValueError(
                f"CHOREO_TOKEN_TTL_DAYS={self.token_ttl_days}: must not exceed "
                f"CHOREO_TOKEN_MAX_DAYS={self.token_max_days}"
            )
        return self

    @property
    def mail_backend(self) -> str:
        """EMAIL_BACKEND if given, else SMTP when EMAIL_HOST is set, else the console."""
        if self.email_backend:
            return self.email_backend
        if self.email_host:
            return "django.core.mail.backends.smtp.EmailBackend"
        return "django.core.mail.backends.console.EmailBackend"

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" or (not self.log_format and self.env == "production")

    s3_bucket: str | None = Field(None, alias="S3_BUCKET")
    s3_endpoint_url: str | None = Field(None, alias="S3_ENDPOINT_URL")
    s3_public_endpoint_url: str | None = Field(None, alias="S3_PUBLIC_ENDPOINT_URL")
    s3_region: str = Field("us-east-1", min_length=1, alias="S3_REGION")
    s3_addressing_style: Literal["path", "virtual"] | None = Field(
        None, alias="S3_ADDRESSING_STYLE"
    )
    s3_key_prefix: str = Field("", alias="S3_KEY_PREFIX")

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

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        if value and (scheme not in ("redis", "rediss") or not sep or not rest):
            raise ValueError("expected a redis:// or rediss:// URL")
        return value

    @field_validator("trusted_proxies", "metrics_allow")
    @classmethod
    def _networks(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    "expected comma-separated IP addresses or CIDR networks such as "
                    f"10.0.0.5,172.16.0.0/12, got {entry!r}"
                ) from None
        return ",".join(entries)

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return _networks_of(self.trusted_proxies)

    @property
    def metrics_allow_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return _networks_of(self.metrics_allow)

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        origins = [o.strip() for o in value.split(",") if o.strip()]
        for origin in origins:
            scheme, sep, rest = origin.partition("://")
            if scheme not in ("http", "https") or not sep or not rest or "/" in rest:
                raise ValueError(
                    f"expected comma-separated origins such as https://app.example, got {origin!r}"
                )
        return ",".join(origins)

    @property
    def cors_origins(self) -> list[str]:
        return [o for o in self.cors_allowed_origins.split(",") if o]

    @field_validator("s3_bucket")
    @classmethod
    def _bucket(cls, value: str | None) -> str | None:
        if value is not None and (not BUCKET_NAME.match(value) or ".." in value):
            raise ValueError(
                "expected an S3 bucket name: 3-63 lowercase letters, digits, '.' or '-', "
                f"starting and ending with a letter or digit, got {value!r}"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not value:
            return ""
        scheme, sep, rest = value.partition("://")
        host = rest.split("/")[0]
        if scheme not in ("http", "https") or not sep or not host or "/" in rest.rstrip("/"):
            raise ValueError(
                f"expected the site's origin such as https://choreo.example, got {value!r}"
            )
        return value.rstrip("/")

    @field_validator("s3_endpoint_url", "s3_public_endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme, sep, rest = value.partition("://")
        if scheme not in ("http", "https") or not sep or not rest.split("/")[0]:
            raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("s3_key_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        value = value.strip("/")
        if not value:
            return ""
        try:
            validate_key(value)
        except InvalidKeyError:
            raise ValueError(
                f"expected a relative key prefix such as 'choreo/', got {value!r}"
            ) from None
        return value + "/"

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> ChoreoConfig:
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ValueError("S3_BUCKET is required when STORAGE_BACKEND=s3")
        return self

    @property
    def s3_style(self) -> Literal["path", "virtual"]:
        """Path-style addressing when an endpoint is given (S3-compatible servers)."""
        if self.s3_addressing_style:
            return self.s3_addressing_style
        return "path" if self.s3_endpoint_url else "virtual"

    @property
    def video_dimensions(self) -> tuple[int, int]:
        width, _, height = self.video_size.partition("x")
        return int(width), int(height)

    @property
    def input_limits(self) -> InputLimits:
        """What an import takes (assembly.limits): the durations above; moves 1 s or longer,
        each side 240 to 4096 px (or from the canonical frame's shorter side, when that is
        smaller: the library takes footage at its own size), at most 120 fps."""
        return InputLimits(
            max_song_s=self.max_song_s,
            max_move_s=self.max_move_s,
            min_side=min(InputLimits.model_fields["min_side"].default, *self.video_dimensions),
        )

    @property
    def video_format(self) -> VideoFormat:
        """The library's canonical clip format: what imports produce and generations join."""
        width, height = self.video_dimensions
        return VideoFormat(width=width, height=height, fps=self.video_fps, crf=self.video_crf)


def _networks_of(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The networks of a validated comma-separated list of addresses and CIDRs."""
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in value.split(",") if entry)


def load_config(environ: Mapping[str, str] | None = None) -> ChoreoConfig:
    """Build the config from ``environ``; ConfigError lists every bad variable on its own line."""
    environ = os.environ if environ is None else environ
    names = {field.alias for field in ChoreoConfig.model_fields.values() if field.alias}
    values = {name: environ[name] for name in names if name in environ and environ[name] != ""}
    try:
        return ChoreoConfig.model_validate(values)
    except ValidationError as exc:
        lines = [
            f"{err['loc'][0]}={values.get(str(err['loc'][0]), '')!r}: "
            + err["msg"].removeprefix("Value error, ")
            if err["loc"]
            else err["msg"].removeprefix("Value error, ")
            for err in exc.errors()
        ]
        if len(lines) == 1:
            raise ConfigError(f"invalid configuration: {lines[0]}") from None
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
