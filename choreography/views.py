"""Thin async views: authenticate, validate with pydantic, call a service, map errors."""

from __future__ import annotations

import json
from typing import TypeVar

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from pydantic import BaseModel, ValidationError

from assembly.errors import ChoreoError, FFmpegNotFoundError
from choreography.auth import authenticate_bearer
from choreography.errors import InvalidRequestError
from choreography.http import error_response
from choreography.runtime import get_assembler, get_storage
from choreography.schemas import GenerateRequest, GenerateResponse, SongOut
from choreography.services import generate_choreography, list_songs

M = TypeVar("M", bound=BaseModel)


def parse_body(request: HttpRequest, model: type[M]) -> M:
    """Validate a JSON body; InvalidRequestError lists each bad field and what it allows."""
    try:
        data = json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequestError("request body is not valid JSON", details=str(exc)) from exc
    if not isinstance(data, dict):
        raise InvalidRequestError("request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
            for err in exc.errors(include_url=False, include_input=False)
        ]
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise InvalidRequestError(f"invalid request: {summary}", details=problems) from exc


@require_GET
async def songs(request: HttpRequest) -> JsonResponse:
    items = [
        SongOut(
            id=s.id, title=s.title, artist=s.artist, duration_seconds=s.duration_seconds, bpm=s.bpm
        ).model_dump()
        for s in await list_songs()
    ]
    return JsonResponse({"items": items})


@csrf_exempt  # bearer-token API: no cookies are involved, so CSRF does not apply
@require_POST
async def generate(request: HttpRequest) -> JsonResponse:
    try:
        user = await authenticate_bearer(request.headers.get("Authorization"))
        body = parse_body(request, GenerateRequest)
        task = await generate_choreography(user=user, request=body)
    except ChoreoError as exc:
        return error_response(exc)
    result = task.result
    payload = GenerateResponse(
        task_id=str(task.id),
        status="completed",
        video_url=request.build_absolute_uri(get_storage().url(result["video_key"])),
        duration_seconds=result["duration_seconds"],
        song_id=body.song_id,
        seed=task.parameters["seed"],
        stage=task.stage,
        progress=task.progress,
        moves=result["timeline"],
        relaxed_filters=result["relaxed_filters"],
        stage_seconds=result["stage_seconds"],
    )
    return JsonResponse(payload.model_dump())


@require_GET
async def health(request: HttpRequest) -> JsonResponse:
    try:
        version = await get_assembler().ffmpeg_version()
    except (FFmpegNotFoundError, ChoreoError) as exc:
        return JsonResponse(
            {"status": "unavailable", "error": exc.message, "details": exc.details or None},
            status=503,
        )
    return JsonResponse({"status": "ok", "ffmpeg": version})
