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
from choreography.errors import AuthenticationError, InvalidRequestError, NotFoundError

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: tuple[tuple[type[ChoreoError], int], ...] = (
    (InvalidRequestError, 400),
    (BlueprintError, 400),
    (AuthenticationError, 401),
    (NotFoundError, 404),
    (InputNotFoundError, 404),
    (AssemblyTimeoutError, 504),
    (FFmpegNotFoundError, 503),
)
"""First match wins; any other ChoreoError is a 500."""


def status_for(exc: ChoreoError) -> int:
    return next((status for kind, status in STATUS_BY_ERROR if isinstance(exc, kind)), 500)


def error_body(exc: ChoreoError) -> dict:
    return {"error": exc.message, "details": exc.details or None, "stage": exc.stage}


def error_response(exc: ChoreoError) -> JsonResponse:
    status = status_for(exc)
    if status >= 500:
        logger.error("request failed at %s: %s %s", exc.stage, exc.message, exc.details)
    response = JsonResponse(error_body(exc), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="choreo"'
    return response
