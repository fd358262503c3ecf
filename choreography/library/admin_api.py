"""The staff side of the library: upload, edit and delete songs and moves.

Uploads are ``multipart/form-data`` (field ``file`` plus the fields of ``import_song`` /
``import_moves``) and go through the same import path as the commands (normalize once, analyse,
store by content hash): the same content again answers 200 with ``"duplicate": true`` and the
existing id. The file is received by the shared upload edge (``choreography.api.uploads``):
streamed to a temporary file under the runtime's work dir (never held in memory), limited to
CHOREO_MAX_UPLOAD_MB (413), parsed in a worker thread, and removed on every path, cancellation
included; below CHOREO_MIN_FREE_DISK_MB of free disk it is refused (507) before a byte is
spooled. A file FFmpeg cannot read, or not as a container the library takes
(a playlist, a concat list, a picture), is a 400; one it reads but the library does not take (too
long, too large a frame, not moving video: assembly.limits) a 422; both are found from the probe,
before anything decodes the file. Edits are strict JSON; deletes refuse (409) what completed
choreographies still use. Everyone else: 403 (staff only), anonymous 401.

The operations are declared here and added to the catalog's router (``choreography.library.api``)
by ``add_staff_operations``, which the API (``choreography.api.app``) calls explicitly: POST
/songs/ beside GET /songs/ is one path, and ninja serves one path from one router.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import BaseModel, ConfigDict, Field

from assembly import ChoreoError, FFmpegError, MediaError, MediaRejectedError
from choreography.api.request_context import runtime_of
from choreography.api.schemas import ErrorOut
from choreography.api.uploads import multipart_doc, multipart_upload, validated_form
from choreography.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from choreography.library.api import CatalogMove
from choreography.library.batch import failure_reason
from choreography.library.editing import delete_move, delete_song, replan_song
from choreography.library.imports import import_clip, import_song
from choreography.library.sources import clip_metadata
from choreography.models import Difficulty, EnergyLevel, Move, MoveRole, Song, Style
from choreography.music.vocabulary import DEFAULT_DIFFICULTY, DEFAULT_ENERGY_LEVEL


class StaffOperations:
    """Operations declared with ninja's decorators (``@staff.post(path, **options)``), kept until
    ``add_to`` adds them to the router that serves their paths."""

    def __init__(self) -> None:
        self.declared: list[tuple[str, list[str], Callable, dict]] = []

    def _declare(self, method: str, path: str, options: dict) -> Callable[[Callable], Callable]:
        def declare(view: Callable) -> Callable:
            self.declared.append((path, [method], view, options))
            return view

        return declare

    def post(self, path: str, **options) -> Callable[[Callable], Callable]:
        return self._declare("POST", path, options)

    def patch(self, path: str, **options) -> Callable[[Callable], Callable]:
        return self._declare("PATCH", path, options)

    def delete(self, path: str, **options) -> Callable[[Callable], Callable]:
        return self._declare("DELETE", path, options)

    def add_to(self, router: Router) -> Router:
        for path, methods, view, options in self.declared:
            router.add_api_operation(path, methods, view, **options)
        return router


staff = StaffOperations()


def add_staff_operations(catalog_router: Router) -> Router:
    """The catalog's router with the staff operations added (once, by the API's router list)."""
    return staff.add_to(catalog_router)


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 500: ErrorOut}
UPLOAD_ERRORS = {**ERRORS, 413: ErrorOut, 415: ErrorOut, 422: ErrorOut, 507: ErrorOut}

DifficultyName = Literal[tuple(Difficulty.values)]  # type: ignore[valid-type]
EnergyName = Literal[tuple(EnergyLevel.values)]  # type: ignore[valid-type]
StyleName = Literal[tuple(Style.values)]  # type: ignore[valid-type]
RoleName = Literal[tuple(MoveRole.values)]  # type: ignore[valid-type]
Bpm = Field(None, ge=20, le=400, description="beats per minute")


class SongUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    artist: str = Field("", max_length=200)
    bpm: float | None = Field(None, ge=20, le=400, description="default: detected")
    first_beat: float | None = Field(None, ge=0, description="seconds; default: detected")
    genre: str = Field("bachata", min_length=1, max_length=50)


class MoveUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=90, description="default: from the file name")
    label: str | None = Field(None, max_length=100, description="default: from the file name")
    difficulty: DifficultyName = DEFAULT_DIFFICULTY
    energy_level: EnergyName = DEFAULT_ENERGY_LEVEL
    style: StyleName | None = Field(None, description="default: from the file name")
    role: RoleName | None = Field(None, description="default: from the file name")
    tempo: float | None = Field(None, ge=20, le=400, description="default: from the clip's audio")


class SongUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    title: str | None = Field(None, min_length=1, max_length=200)
    artist: str | None = Field(None, max_length=200)
    genre: str | None = Field(None, min_length=1, max_length=50)
    bpm: float | None = Field(None, ge=20, le=400)
    first_beat: float | None = Field(None, ge=0)


class MoveUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    label: str | None = Field(None, min_length=1, max_length=100)
    difficulty: DifficultyName | None = None
    energy_level: EnergyName | None = None
    style: StyleName | None = None
    role: RoleName | None = None
    tempo_bpm: float | None = Field(None, ge=20, le=400)


class SongAdminOut(BaseModel):
    id: int
    title: str
    artist: str
    genre: str
    duration_seconds: float
    bpm: float
    first_beat_seconds: float
    energy_curve: list[float]
    audio_key: str
    content_hash: str
    duplicate: bool = False


class MoveAdminOut(CatalogMove):
    tempo_source: str
    frames: int
    clip_key: str
    stream_key: str
    poster_key: str
    content_hash: str
    duplicate: bool = False


def _song_out(song: Song, duplicate: bool = False) -> dict:
    fields = {
        name: getattr(song, name) for name in SongAdminOut.model_fields if name != "duplicate"
    }
    return SongAdminOut(**fields, duplicate=duplicate).model_dump()


def _move_out(move: Move, duplicate: bool = False) -> dict:
    fields = {
        name: getattr(move, name) for name in MoveAdminOut.model_fields if name != "duplicate"
    }
    return MoveAdminOut(**fields, duplicate=duplicate).model_dump()


def _staff(request: HttpRequest) -> None:
    if not getattr(request.auth, "is_staff", False):
        raise PermissionDeniedError("staff only", details="managing the library needs a staff user")


# --- uploads ---------------------------------------------------------------------------------


def _unreadable(name: str, path: Path, exc: Exception) -> ChoreoError:
    """The 4xx for an upload the import refused, naming the file as the client sent it (not
    its temporary name): 422 for media the library does not take (MediaRejectedError), 400
    for a file that is not readable media."""
    if isinstance(exc, MediaRejectedError):
        return MediaRejectedError(
            exc.message.replace(repr(path.name), repr(name)), stage=exc.stage, details=exc.details
        )
    return InvalidRequestError(
        f"cannot read {name!r} as media",
        details=failure_reason(exc).replace(repr(path.name), repr(name)),
        stage="importing",
    )


@staff.post(
    "/songs/",
    response={200: SongAdminOut, 201: SongAdminOut, **UPLOAD_ERRORS},
    summary="Upload a song (staff): normalized, analysed, stored; 200 if already present",
    openapi_extra=multipart_doc(SongUpload),
)
async def upload_song(request: HttpRequest):
    _staff(request)
    async with multipart_upload(request) as (fields, path, name):
        form = validated_form(SongUpload, fields)
        try:
            song, created = await import_song(
                path, **form.model_dump(), runtime=runtime_of(request)
            )
        except (MediaError, FFmpegError) as exc:
            raise _unreadable(name, path, exc) from None
    return Status(201, _song_out(song)) if created else Status(200, _song_out(song, True))


@staff.post(
    "/moves/",
    response={200: MoveAdminOut, 201: MoveAdminOut, **UPLOAD_ERRORS},
    summary="Upload a move clip (staff): normalized once, stored; 200 if already present",
    openapi_extra=multipart_doc(MoveUpload),
)
async def upload_move(request: HttpRequest):
    _staff(request)
    async with multipart_upload(request) as (fields, path, name):
        form = validated_form(MoveUpload, fields)
        meta = clip_metadata(
            name,
            name=form.name,
            label=form.label,
            difficulty=form.difficulty,
            energy_level=form.energy_level,
            style=form.style,
            tempo_bpm=form.tempo,
            role=form.role,
        )
        try:
            move, created = await import_clip(path, meta, runtime=runtime_of(request))
        except (MediaError, FFmpegError) as exc:
            raise _unreadable(name, path, exc) from None
    return Status(201, _move_out(move)) if created else Status(200, _move_out(move, True))


async def _song(song_id: int) -> Song:
    song = await Song.objects.filter(pk=song_id).afirst()
    if song is None:
        raise NotFoundError(f"song {song_id} not found")
    return song


async def _move(move_id: int) -> Move:
    move = await Move.objects.filter(pk=move_id).afirst()
    if move is None:
        raise NotFoundError(f"move {move_id} not found")
    return move


@staff.patch(
    "/songs/{song_id}/",
    response={200: SongAdminOut, **ERRORS, 404: ErrorOut, 415: ErrorOut},
    summary="Edit a song (staff); a new bpm or first beat re-measures its phrase energy",
)
async def update_song(request: HttpRequest, song_id: int, body: SongUpdate):
    _staff(request)
    song = await _song(song_id)
    changes = body.model_dump(exclude_unset=True)
    for name in ("title", "artist", "genre"):
        if changes.get(name) is not None:
            setattr(song, name, changes[name])
    bpm = changes.get("bpm") or song.bpm
    first_beat = changes.get("first_beat")
    first_beat = song.first_beat_seconds if first_beat is None else first_beat
    if first_beat >= song.duration_seconds:
        raise InvalidRequestError(
            "invalid request: first_beat: must be within the song",
            details=f"the song lasts {song.duration_seconds:g} s",
        )
    if (bpm, first_beat) != (song.bpm, song.first_beat_seconds):
        await replan_song(song, bpm=bpm, first_beat=first_beat, runtime=runtime_of(request))
    await song.asave()
    return _song_out(song)


@staff.patch(
    "/moves/{move_id}/",
    response={200: MoveAdminOut, **ERRORS, 404: ErrorOut, 415: ErrorOut},
    summary="Edit a move's label and facets (staff)",
)
async def update_move(request: HttpRequest, move_id: int, body: MoveUpdate):
    _staff(request)
    move = await _move(move_id)
    for name, value in body.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(move, name, value)
            if name == "tempo_bpm":
                move.tempo_source = "metadata"
    await move.asave()
    return _move_out(move)


@staff.delete(
    "/songs/{song_id}/",
    response={204: None, **ERRORS, 404: ErrorOut, 409: ErrorOut},
    summary="Delete a song and its audio (staff); 409 while completed choreographies use it",
)
async def remove_song(request: HttpRequest, song_id: int):
    _staff(request)
    await delete_song(await _song(song_id), storage=runtime_of(request).storage)
    return Status(204, None)


@staff.delete(
    "/moves/{move_id}/",
    response={204: None, **ERRORS, 404: ErrorOut, 409: ErrorOut},
    summary="Delete a move, its clip and stream (staff); 409 while choreographies use it",
)
async def remove_move(request: HttpRequest, move_id: int):
    _staff(request)
    await delete_move(await _move(move_id), storage=runtime_of(request).storage)
    return Status(204, None)
