"""The one place ChoreoError becomes an HTTP response: ``{"error", "details", "stage"}``."""

from __future__ import annotations

import logging

from django.http import JsonResponse

from assembly.errors import (
    AssemblyTimeoutError,
    BlueprintError,
    ChoreoError,
    FFmpegNotFoundError,
    InputNotFoundError,
)
from choreography.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    OverloadedError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ServerBusyError,
    ShuttingDownError,
    TooManyGenerationsError,
)

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: tuple[tuple[type[ChoreoError], int], ...] = (
    (PayloadTooLargeError, 413),
    (InvalidRequestError, 400),
    (BlueprintError, 400),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (InputNotFoundError, 404),
    (TooManyGenerationsError, 429),
    (ServerBusyError, 503),
    (ShuttingDownError, 503),
    (AssemblyTimeoutError, 504),
    (FFmpegNotFoundError, 503),
)
"""First match wins; any other ChoreoError is a 500."""

DEFAULT_RETRY_AFTER_S = 5
"""Retry-After for a 503 whose error does not carry its own estimate (e.g. FFmpeg missing)."""


def status_for(exc: ChoreoError) -> int:
    return next((status for kind, status in STATUS_BY_ERROR if isinstance(exc, kind)), 500)


def error_body(exc: ChoreoError) -> dict:
    return {"error": exc.message, "details": exc.details or None, "stage": exc.stage}


def error_response(exc: ChoreoError) -> JsonResponse:
    status = status_for(exc)
    if status >= 500 and not isinstance(exc, OverloadedError):
        logger.error("request failed at %s: %s %s", exc.stage, exc.message, exc.details)
    response = JsonResponse(error_body(exc), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="choreo"'
    if status in (429, 503):
        response["Retry-After"] = str(getattr(exc, "retry_after", DEFAULT_RETRY_AFTER_S))
    return response
