"""``/api/collections/``: the signed-in user's saved choreographies (thin views over
choreography.collections.services). Another user's item is always 404."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict, Field

from choreography.api.request_context import runtime_of
from choreography.api.responses import absolute_url
from choreography.api.schemas import (
    BODY_ERRORS,
    NOTES_MAX,
    ErrorOut,
    GenerationParameters,
    Page,
    PageQuery,
    PosterUrl,
    SongRef,
    VideoUrl,
    page_out,
)
from choreography.collections import services
from choreography.collections.models import SavedChoreography
from choreography.errors import InvalidRequestError
from choreography.generation.downloads import task_video_filename
from choreography.generation.links import poster_url
from choreography.runtime import Runtime

router = Router(tags=["collections"])

AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut}
Tag = str


class SaveRequest(BaseModel):
    """Body of POST /api/collections/: which completed generation to keep, and how to call it."""

    model_config = ConfigDict(extra="forbid")

    task_id: UUID = Field(description="A completed generation of yours")
    title: str | None = Field(None, max_length=200, description="Default: song and parameters")
    notes: str = Field("", max_length=NOTES_MAX)
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class SavedUpdate(BaseModel):
    """Body of PATCH /api/collections/{id}/: the fields given are changed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=NOTES_MAX)
    tags: list[Tag] | None = Field(None, max_length=20)


class ShareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in_days: float | None = Field(
        None, gt=0, le=3650, description="The link stops working after; never if empty"
    )


class ShareOut(BaseModel):
    url: str
    expires_at: dt.datetime | None


class SavedOut(BaseModel):
    """One saved choreography."""

    id: int
    task_id: str
    title: str
    notes: str
    tags: list[str]
    song: SongRef | None
    parameters: GenerationParameters
    duration_seconds: float
    size_bytes: int
    created_at: dt.datetime
    updated_at: dt.datetime
    video_url: VideoUrl
    video_url_expires_at: dt.datetime
    poster_url: PosterUrl
    share_url: str | None = Field(description="The public link while shared, else null")
    share_expires_at: dt.datetime | None


class SavedPage(Page[SavedOut]):
    pass


class UsageOut(BaseModel):
    used_bytes: int
    quota_bytes: int
    used_mb: float
    quota_mb: float


class StatsOut(BaseModel):
    count: int
    total_minutes: float
    by_difficulty: dict[str, int]
    by_style: dict[str, int]
    by_song: dict[str, int]
    usage: UsageOut


class DeletedOut(BaseModel):
    deleted: int


class CollectionQuery(PageQuery):
    """Search and filters of the list."""

    q: str = Field("", max_length=200, description="In title, notes and song title")
    song: int | None = Field(None, ge=1, le=2**31 - 1, description="Song id")
    difficulty: str = Field("", max_length=20)
    style: str = Field("", max_length=20)
    tag: str = Field("", max_length=50)
    ordering: Literal["created", "-created", "title", "-title"] = Field(
        "-created", description="newest first by default"
    )


class ConfirmQuery(Schema):
    confirm: bool = Field(False, description="Must be true: deletes every saved choreography")


def video_link(runtime: Runtime, key: str, filename: str | None = None) -> tuple[str, dt.datetime]:
    """A signed absolute link to a stored video (named ``filename``) and when it stops working."""
    now = int(runtime.clock())
    expires = dt.datetime.fromtimestamp(now + runtime.config.url_ttl_s, dt.UTC)
    return absolute_url(runtime.storage.url(key, filename=filename)), expires


def share_url(saved: SavedChoreography) -> str | None:
    if not saved.share_token:
        return None
    return absolute_url(reverse("shared", args=[saved.share_token]))


def saved_out(request: HttpRequest, saved: SavedChoreography) -> dict:
    task = saved.task
    result = task.result or {}
    runtime = runtime_of(request)
    url, expires = video_link(runtime, result.get("video_key", ""), task_video_filename(task))
    song = task.song
    return SavedOut(
        id=saved.pk,
        task_id=str(task.pk),
        title=saved.title,
        notes=saved.notes,
        tags=saved.tags,
        song=SongRef(id=song.id, title=song.title, artist=song.artist) if song else None,
        parameters=task.parameters,
        duration_seconds=result.get("duration_seconds") or 0.0,
        size_bytes=result.get("size_bytes") or 0,
        created_at=saved.created_at,
        updated_at=saved.updated_at,
        video_url=url,
        video_url_expires_at=expires,
        poster_url=poster_url(runtime.storage, result),
        share_url=share_url(saved),
        share_expires_at=saved.share_expires_at if saved.share_token else None,
    ).model_dump(mode="json")


def usage_out(usage: services.Usage) -> dict:
    return {
        "used_bytes": usage.used_bytes,
        "quota_bytes": usage.quota_bytes,
        "used_mb": usage.used_mb,
        "quota_mb": usage.quota_mb,
    }


@router.post(
    "",
    response={
        201: SavedOut,
        400: ErrorOut,
        **AUTH_ERRORS,
        404: ErrorOut,
        409: ErrorOut,
        **BODY_ERRORS,
    },
    summary="Save one of your completed generations (409 past your storage quota)",
)
async def save(request: HttpRequest, body: SaveRequest):
    saved = await services.save(user=request.auth, **body.model_dump())
    return Status(201, saved_out(request, saved))


@router.get(
    "",
    response={200: SavedPage, 400: ErrorOut, **AUTH_ERRORS},
    summary="Your saved choreographies: search, filters, ordering, pages",
)
async def list_saved(request: HttpRequest, query: Query[CollectionQuery]):
    filters = services.Filters(
        q=query.q.strip(),
        song=query.song,
        difficulty=query.difficulty,
        style=query.style,
        tag=query.tag,
        ordering=query.ordering,
    )
    rows, total = await services.list_saved(
        user=request.auth, filters=filters, page=query.page, page_size=query.page_size
    )
    return page_out([saved_out(request, row) for row in rows], query, total)


@router.delete(
    "",
    response={200: DeletedOut, 400: ErrorOut, **AUTH_ERRORS, 500: ErrorOut},
    summary="Delete every saved choreography and its video (needs ?confirm=true)",
)
async def delete_all(request: HttpRequest, query: Query[ConfirmQuery]):
    if not query.confirm:
        raise InvalidRequestError(
            "deleting all your saved choreographies needs ?confirm=true",
            details=[{"field": "confirm", "message": "must be true"}],
        )
    storage = runtime_of(request).storage
    return {"deleted": await services.delete_all(user=request.auth, storage=storage)}


@router.get(
    "stats/",
    response={200: StatsOut, **AUTH_ERRORS},
    summary="How many saved choreographies, total minutes, counts by kind, storage usage",
)
async def stats(request: HttpRequest):
    data = await services.stats(user=request.auth)
    return {**data, "usage": usage_out(await services.usage(request.auth))}


@router.get(
    "{saved_id}/",
    response={200: SavedOut, 400: ErrorOut, **AUTH_ERRORS, 404: ErrorOut, **BODY_ERRORS},
    summary="One of your saved choreographies",
)
async def get_saved(request: HttpRequest, saved_id: int):
    return saved_out(request, await services.get_saved(user=request.auth, saved_id=saved_id))


@router.patch(
    "{saved_id}/",
    response={200: SavedOut, 400: ErrorOut, **AUTH_ERRORS, 404: ErrorOut, **BODY_ERRORS},
    summary="Rename, change notes or tags",
)
async def update_saved(request: HttpRequest, saved_id: int, body: SavedUpdate):
    fields = body.model_dump(exclude_unset=True)
    saved = await services.update_saved(user=request.auth, saved_id=saved_id, **fields)
    return saved_out(request, saved)


@router.delete(
    "{saved_id}/",
    response={204: None, 400: ErrorOut, **AUTH_ERRORS, 404: ErrorOut, 500: ErrorOut},
    summary="Delete a saved choreography: its video from storage, then its rows",
)
async def delete_saved(request: HttpRequest, saved_id: int):
    await services.delete_saved(
        user=request.auth, saved_id=saved_id, storage=runtime_of(request).storage
    )
    return Status(204, None)


@router.post(
    "{saved_id}/share/",
    response={200: ShareOut, 400: ErrorOut, **AUTH_ERRORS, 404: ErrorOut, **BODY_ERRORS},
    summary="Make a public link (a new unguessable token each time)",
)
async def share(request: HttpRequest, saved_id: int, body: ShareRequest):
    saved = await services.share(
        user=request.auth, saved_id=saved_id, expires_in_days=body.expires_in_days
    )
    return {"url": share_url(saved), "expires_at": saved.share_expires_at}


@router.delete(
    "{saved_id}/share/",
    response={204: None, 400: ErrorOut, **AUTH_ERRORS, 404: ErrorOut},
    summary="Revoke the public link (it is 404 at once)",
)
async def unshare(request: HttpRequest, saved_id: int):
    await services.unshare(user=request.auth, saved_id=saved_id)
    return Status(204, None)
