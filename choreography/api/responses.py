"""The one place ChoreoError becomes an HTTP response: ``{"error", "details", "stage"}``."""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.http import JsonResponse

from assembly import (
    AssemblyTimeoutError,
    BlueprintError,
    ChoreoError,
    FFmpegNotFoundError,
    InputNotFoundError,
    MediaRejectedError,
)
from choreography.errors import (
    AuthenticationError,
    ConflictError,
    InsufficientStorageError,
    InvalidRequestError,
    NotFoundError,
    OverloadedError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ServerBusyError,
    ShuttingDownError,
    TooManyAttemptsError,
    TooManyGenerationsError,
    UnsupportedMediaTypeError,
)

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: tuple[tuple[type[ChoreoError], int], ...] = (
    (TooManyAttemptsError, 429),
    (PayloadTooLargeError, 413),
    (UnsupportedMediaTypeError, 415),
    (InvalidRequestError, 400),
    (BlueprintError, 400),
    (MediaRejectedError, 422),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (InputNotFoundError, 404),
    (TooManyGenerationsError, 429),
    (ServerBusyError, 503),
    (ShuttingDownError, 503),
    (AssemblyTimeoutError, 504),
    (InsufficientStorageError, 507),
    (FFmpegNotFoundError, 503),
)
"""First match wins; any other ChoreoError is a 500."""

DEFAULT_RETRY_AFTER_S = 5
"""Retry-After for a 503 whose error does not carry its own estimate (e.g. FFmpeg missing)."""


DEFAULT_PUBLIC_URL = "http://localhost"
"""Origin of links when CHOREO_PUBLIC_URL is unset (``serve`` sets it from --host/--port)."""


def absolute_url(url: str) -> str:
    """``url`` on the configured public origin; an absolute URL (presigned S3) is kept.

    Never built from the request's Host header: a client must not choose the host of the
    links the server hands out (cache poisoning, links to an attacker's site in shared pages).
    """
    if url.startswith(("http://", "https://")):
        return url
    return (settings.CHOREO.public_url or DEFAULT_PUBLIC_URL) + url


def status_for(exc: ChoreoError) -> int:
    return next((status for kind, status in STATUS_BY_ERROR if isinstance(exc, kind)), 500)


PROJECT_DIR = Path(__file__).resolve().parent.parent
SYSTEM_DIRS = ("app", "data", "etc", "home", "opt", "proc", "root", "srv", "tmp", "usr", "var")


def _server_path() -> re.Pattern[str]:
    """The directories of an absolute path under the server's own directories or a system
    one (not a URL path such as /api/...: API paths are not filesystem locations).

    Built from the settings in force at each call (``re`` caches the compiled pattern by its
    text), so a changed DATA_DIR never meets a stale one."""
    roots = {str(settings.DATA_DIR), str(PROJECT_DIR), tempfile.gettempdir()}
    roots |= {f"/{name}" for name in SYSTEM_DIRS}
    alternatives = "|".join(re.escape(root.rstrip("/")) for root in sorted(roots, key=len)[::-1])
    return re.compile(rf"(?<![\w:/.])(?:{alternatives})/(?:[\w.@+=,-]+/)*")


def redact_paths(text: str) -> str:
    """``/srv/choreo/var/work/x/assembly-1/joined.h264`` → ``joined.h264``: where the server
    keeps its files is nobody's business, the file's name is enough to understand an error."""
    return _server_path().sub("", text)


def error_body(exc: ChoreoError) -> dict:
    """The one error shape, ``{"error", "details", "stage"}``, without server paths."""
    details = exc.details
    if isinstance(details, str):
        details = redact_paths(details) or None
    return {"error": redact_paths(exc.message), "details": details or None, "stage": exc.stage}


def error_response(exc: ChoreoError) -> JsonResponse:
    status = status_for(exc)
    if status >= 500 and not isinstance(exc, OverloadedError):
        logger.error("request failed at %s: %s %s", exc.stage, exc.message, exc.details)
    response = JsonResponse(error_body(exc), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="choreo"'
    retry_after = getattr(exc, "retry_after", DEFAULT_RETRY_AFTER_S)
    if status in (409, 429, 503) and retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response
