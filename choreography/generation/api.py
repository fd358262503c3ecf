"""Thin async views: ninja authenticates and validates, a service does the work, errors map
to ``{"error", "details", "stage"}`` in choreography.api.app / choreography.api.responses."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.params import Header, P
from pydantic import BaseModel, Field

from choreography.api.pages import page_options
from choreography.api.request_context import runtime_of
from choreography.api.responses import absolute_url
from choreography.api.schemas import (
    ErrorOut,
    GenerateOptions,
    GenerateRequest,
    GenerateResponse,
    GenerationParameters,
    Page,
    PageQuery,
    SongRef,
    VideoDetail,
    VideoOut,
    VideoPage,
    page_out,
)
from choreography.api.streaming import wants_event_stream
from choreography.describe.generate import interpretation_events, interpreted_parameters
from choreography.errors import ConflictError
from choreography.generation.downloads import task_video_filename
from choreography.generation.history import (
    get_video,
    list_attempts,
    list_videos,
    outcome,
    retry_parameters,
)
from choreography.generation.links import poster_url
from choreography.generation.selectors import beat_grid
from choreography.generation.service import (
    DuplicateRequest,
    admit,
    find_by_idempotency_key,
    prepare_generation,
    run_generation,
)
from choreography.generation.streaming import follow_stream, generation_stream, unwrap
from choreography.models import ChoreographyTask, TaskStatus
from choreography.runtime import Runtime

router = Router()

AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut}
GENERATE_DOC = """Plan and assemble a choreography video; the request lasts until the video is done.

**Plain JSON** (default): answers 200 with the finished choreography.

**From words**: send `{"description": "..."}` in place of `song_id` and the parameters (any
parameter sent with it wins over its reading); the answer echoes the reading as
`interpretation` (see POST /api/choreography/describe/).

**Live progress**: with `Accept: text/event-stream` the answer is `200 text/event-stream` at
once, streaming Server-Sent Events on this same request:
`event: progress` with `{"task_id", "stage", "progress", "message"}` on every stage change and
progress step, a `: keep-alive` comment at least every 15 s, then exactly one final
`event: completed` (the same JSON as the plain response) or `event: error`
(`{"error", "details", "stage"}`). With a `description`, the interpretation comes first: one
`event: interpretation` per reasoning step (`{"step", "steps", "message"}`), then
`event: interpreted` with the whole reading. Errors found before the work starts (400, 401, 403, 404,
409, 413, 429, 503, 507) are answered with their status and the error JSON, not as a stream.

Closing the connection stops the work (FFmpeg is stopped, the task is marked failed with
"client disconnected"). At most CHOREO_MAX_PER_USER generations per user run at once (429);
past the server's in-flight cap and wait queue the answer is 503; both carry `Retry-After`.
A generation whose estimated size does not fit in the user's quota beside their videos and
running generations is 409 (stage `quota`); below the server's free-disk floor it is 507.

**A part of the song**: `start_seconds`/`end_seconds`, or `duration_seconds` from the first
downbeat, are moved to the nearest phrase boundaries (the song's start and end count too); the
response's `section` says which part was made. A part the song does not have is a 400.

**Retries**: send an `Idempotency-Key` (any string up to 200 characters). The same user and key
within 24 h gets the same task, never a second render: a completed one answers the same JSON
(with a fresh link); one still running in this server process is followed (plain or stream);
one running in another process answers 409 with `Retry-After`. A key whose attempt failed may
be used again.
"""


def _video_links(runtime: Runtime, task: ChoreographyTask) -> tuple[str, str, dt.datetime]:
    """Absolute URLs the client can GET without headers (to play, to save: both named after the
    song and parameters), and when they stop working.

    ``storage.url()`` is a signed local link or a presigned S3 URL, both valid for
    CHOREO_URL_TTL_S from now; the expiry reported here is never later than the link's.
    """
    now = int(runtime.clock())
    expires = dt.datetime.fromtimestamp(now + runtime.config.url_ttl_s, dt.UTC)
    key, name, storage = task.result["video_key"], task_video_filename(task), runtime.storage
    return (
        absolute_url(storage.url(key, filename=name)),
        absolute_url(storage.url(key, filename=name, download=True)),
        expires,
    )


def _completed(request: HttpRequest, task: ChoreographyTask) -> dict:
    result = task.result
    runtime = runtime_of(request)
    url, download_url, expires = _video_links(runtime, task)
    return GenerateResponse(
        task_id=str(task.id),
        status="completed",
        video_url=url,
        video_url_expires_at=expires,
        download_url=download_url,
        poster_url=poster_url(runtime.storage, result),
        duration_seconds=result["duration_seconds"],
        song_id=task.song_id or task.parameters.get("song_id", 0),
        seed=task.parameters["seed"],
        stage=task.stage,
        progress=task.progress,
        moves=result["timeline"],
        relaxed_filters=result["relaxed_filters"],
        off_tempo_moves=result.get("off_tempo_moves", []),
        stage_seconds=result["stage_seconds"],
        section=result.get("section"),
        song=_song_ref(_loaded_song(task)),
        parameters={"library": "public", **task.parameters},
        **beat_grid(task),
    ).model_dump(mode="json")


def _loaded_song(task: ChoreographyTask):
    """The task's song when it was loaded with the task (never a query on the event loop): a
    generation's row carries its song, a lookup selects it."""
    return task.song if ChoreographyTask.song.is_cached(task) else None


def _song_ref(song) -> dict | None:
    return {"id": song.id, "title": song.title, "artist": song.artist} if song else None


def _video(request: HttpRequest, task: ChoreographyTask, *, detail: bool = False) -> dict:
    runtime = runtime_of(request)
    url, download_url, expires = _video_links(runtime, task)
    data = {
        "task_id": str(task.id),
        "song": _song_ref(task.song),
        "parameters": task.parameters,
        "created_at": task.created_at,
        "video_url": url,
        "video_url_expires_at": expires,
        "download_url": download_url,
        "poster_url": poster_url(runtime.storage, task.result),
        "duration_seconds": task.result.get("duration_seconds", 0.0),
    }
    if detail:
        return VideoDetail(
            **data,
            moves=task.result.get("timeline", []),
            relaxed_filters=task.result.get("relaxed_filters", []),
            off_tempo_moves=task.result.get("off_tempo_moves", []),
            **beat_grid(task),
        ).model_dump(mode="json")
    return VideoOut(**data).model_dump(mode="json")


@router.post(
    "/choreography/generate/",
    response={
        200: GenerateResponse,
        400: ErrorOut,
        **AUTH_ERRORS,
        404: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        429: ErrorOut,
        500: ErrorOut,
        503: ErrorOut,
        504: ErrorOut,
        507: ErrorOut,
    },
    summary="Generate a choreography video (plain JSON, or live progress as SSE)",
    description=GENERATE_DOC,
    openapi_extra={
        "responses": {
            200: {
                "content": {
                    "text/event-stream": {
                        "schema": {
                            "type": "string",
                            "description": "progress events, keep-alive comments, then one "
                            "completed or error event (see the operation description)",
                        }
                    }
                }
            },
            409: {"headers": {"Retry-After": {"schema": {"type": "integer"}}}},
            429: {"headers": {"Retry-After": {"schema": {"type": "integer"}}}},
            503: {"headers": {"Retry-After": {"schema": {"type": "integer"}}}},
        }
    },
)
async def generate(
    request: HttpRequest,
    body: GenerateRequest,
    idempotency_key: Header[
        str | None,
        P(
            alias="Idempotency-Key",
            max_length=200,
            description="Makes a retry safe: the same key within 24 h gets the same task",
        ),
    ] = None,
):
    reading, parameters = await interpreted_parameters(body)

    def render(task: ChoreographyTask) -> dict:
        answer = _completed(request, task)
        return answer if reading is None else {**answer, "interpretation": reading}

    runtime = runtime_of(request)
    stream = wants_event_stream(request.headers.get("Accept"))
    key = idempotency_key or ""
    if key and (earlier := await find_by_idempotency_key(user=request.auth, key=key)):
        return await _repeat(runtime, earlier, stream=stream, render=render)
    job = await prepare_generation(runtime=runtime, user=request.auth, **parameters)
    try:
        admission = await admit(job, idempotency_key=key)
    except DuplicateRequest:  # a concurrent request with the same key claimed it first
        earlier = await find_by_idempotency_key(user=request.auth, key=key)
        if earlier is None:
            raise ConflictError(
                "a request with this Idempotency-Key just failed", retry_after=1
            ) from None
        return await _repeat(runtime, earlier, stream=stream, render=render)
    if stream:
        prelude = interpretation_events(reading)
        return generation_stream(job, admission, render=render, prelude=prelude)
    return render(await run_generation(job, admission))


async def _repeat(runtime: Runtime, task: ChoreographyTask, *, stream: bool, render):
    """Answer a retry with the task its Idempotency-Key already made (never a second render)."""
    if task.status == TaskStatus.COMPLETED:
        return follow_stream(_done(task), render=render) if stream else render(task)
    outcome = runtime.follow(task.pk)
    if outcome is None:
        raise ConflictError(
            "a request with this Idempotency-Key is still running on another server",
            details=f"task {task.pk}; retry after it finishes",
            retry_after=runtime.gate.retry_after(),
        )
    if stream:
        return follow_stream(outcome, render=render)
    return render(unwrap(await asyncio.shield(outcome)))


def _done(task: ChoreographyTask) -> asyncio.Future:
    future = asyncio.get_running_loop().create_future()
    future.set_result(task)
    return future


@router.get(
    "/choreography/options/",
    response={200: GenerateOptions},
    auth=None,
    summary="What a generate request may choose: levels, energies and styles, each described",
)
async def options(request: HttpRequest):
    listed = page_options()
    described = listed["descriptions"]

    def choices(values: list[str], kind: str) -> list[dict]:
        return [{"value": v, "description": described[kind][v]} for v in values]

    return {
        "difficulties": choices(listed["difficulties"], "difficulty"),
        "energy_levels": choices(listed["energy_levels"], "energy_level"),
        "styles": choices(listed["styles"], "style"),
        "any_style": described["style"][""],
        "defaults": listed["defaults"],
    }


@router.get(
    "/choreography/videos/",
    response={200: VideoPage, 400: ErrorOut, **AUTH_ERRORS},
    summary="Your completed choreographies, newest first",
)
async def videos(request: HttpRequest, query: Query[PageQuery]):
    rows, total = await list_videos(user=request.auth, page=query.page, page_size=query.page_size)
    return page_out([_video(request, task) for task in rows], query, total)


@router.get(
    "/choreography/videos/{task_id}/",
    response={200: VideoDetail, 400: ErrorOut, **AUTH_ERRORS, 404: ErrorOut},
    summary="One of your completed choreographies, with its move timeline",
)
async def video(request: HttpRequest, task_id: UUID):
    return _video(request, await get_video(user=request.auth, task_id=task_id), detail=True)


class HistoryQuery(PageQuery):
    status: Literal["completed", "failed", "cancelled", "running", "deleted"] | None = Field(
        None, description="Only one outcome"
    )


class AttemptOut(BaseModel):
    """One generation attempt: its outcome in words and the stage it ended in."""

    task_id: str
    song: SongRef | None
    parameters: GenerationParameters
    created_at: dt.datetime
    status: str = Field(
        description="completed, failed, cancelled, running, or deleted (its video was deleted "
        "by you: the attempt stays, to try again)"
    )
    stage: str
    message: str = Field(
        description='What happened: "video ready", the error, "you cancelled", "the server '
        'stopped", "you deleted this video"'
    )
    error: str


class AttemptPage(Page[AttemptOut]):
    pass


class RetryOut(Schema):
    """What to send to POST /api/choreography/generate/ to run the attempt again."""

    song_id: int
    difficulty: str
    energy_level: str
    style: str | None
    seed: int | None
    start_seconds: float | None = None
    end_seconds: float | None = None
    library: Literal["public", "studio", "both"] = "public"
    studio_id: int | None = None
    allow_repeats: bool = False


def _attempt(task: ChoreographyTask) -> dict:
    status, message = outcome(task)
    return {
        "task_id": str(task.id),
        "song": _song_ref(task.song),
        "parameters": task.parameters,
        "created_at": task.created_at,
        "status": status,
        "stage": task.stage,
        "message": message,
        "error": task.error,
    }


@router.get(
    "/choreography/history/",
    response={200: AttemptPage, 400: ErrorOut, **AUTH_ERRORS},
    summary="Every generation attempt, newest first: completed, failed, cancelled, running, "
    "deleted",
)
async def history(request: HttpRequest, query: Query[HistoryQuery]):
    rows, total = await list_attempts(
        user=request.auth, status=query.status, page=query.page, page_size=query.page_size
    )
    return page_out([_attempt(task) for task in rows], query, total)


@router.post(
    "/choreography/history/{task_id}/retry/",
    response={200: RetryOut, 400: ErrorOut, **AUTH_ERRORS, 404: ErrorOut},
    summary="Try again: the song, parameters and seed to send to generate",
)
async def retry(request: HttpRequest, task_id: UUID):
    return await retry_parameters(user=request.auth, task_id=task_id)
