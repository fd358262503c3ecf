"""/api/instructor-requests/ and /api/studios/: becoming an instructor, studios, invites,
students and the studio's moves.

Thin views over choreography.studios.services. A studio the caller neither teaches nor joined is
404, like one that does not exist; what only its instructor may do is 403 for a student. Errors
leave in the one ``{error, details, stage}`` shape.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import BaseModel, ConfigDict, Field

from choreography.api.request_context import runtime_of
from choreography.api.responses import absolute_url
from choreography.api.schemas import BODY_ERRORS, DifficultyValue, EnergyValue, ErrorOut
from choreography.api.streaming import event_stream, wants_event_stream
from choreography.api.uploads import multipart_doc, multipart_upload, validated_form
from choreography.studios import services, uploads
from choreography.studios.models import InstructorRequest, StudioMove

router = Router(tags=["studios"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
LibraryStyle = Literal["romantic", "energetic", "sensual", "playful"]
Role = Literal["move", "intro", "outro"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class InstructorRequestIn(Strict):
    studio_name: str = Field(min_length=1, max_length=100)
    about: str = Field("", max_length=300)


class InstructorRequestOut(BaseModel):
    id: int
    studio_name: str
    about: str
    status: Literal["pending", "approved", "refused"]
    created_at: dt.datetime
    decided_at: dt.datetime | None


class InstructorStateOut(BaseModel):
    """The caller's way to becoming an instructor."""

    status: Literal["none", "pending", "approved", "refused"]
    request: InstructorRequestOut | None
    studio_id: int | None = Field(description="The studio the caller teaches, if any")


class StudioOut(BaseModel):
    id: int
    name: str
    about: str
    role: Literal["instructor", "student"] = Field(description="The caller's role there")
    students: int
    url: str = Field(description="The studio's page")


class InviteOut(BaseModel):
    code: str = Field(description="Shown once: only its hash is stored")
    url: str = Field(description="Opening it (signed in) joins the studio")


class JoinIn(Strict):
    code: str = Field(min_length=1, max_length=100)


class StudentOut(BaseModel):
    id: int
    username: str
    joined_at: dt.datetime


class StudioMoveOut(BaseModel):
    id: int
    label: str
    difficulty: str
    energy_level: str
    style: str
    role: str
    start_seconds: float
    counts: int
    tempo_bpm: float | None
    status: Literal["analysing", "uploaded", "cutting", "ready", "failed"] = Field(
        description="uploaded: analysed, the cut waits to be saved; cutting: the saved cut is "
        "being made (background); ready: generate may use it"
    )
    failure: str = Field("", description="Why the last cut failed (status failed)")
    poster_url: str | None
    duration_seconds: float | None = Field(description="Of its canonical clip, once made")


class StudioMovePatch(Strict):
    """Only the fields sent change. For a move uploaded as filmed, ``start_seconds`` and
    ``counts`` save its cut: the canonical clip is made (or re-made from the kept original) in
    the background, the move "cutting" until it is "ready"."""

    label: str | None = Field(None, min_length=1, max_length=100)
    difficulty: DifficultyValue | None = None
    energy_level: EnergyValue | None = None
    style: LibraryStyle | None = None
    role: Role | None = None
    start_seconds: float | None = Field(None, ge=0, le=120)
    counts: int | None = Field(None, ge=1, le=32)

    model_config = ConfigDict(extra="forbid", strict=False)  # 1 and 1.0 both fine for seconds


class UploadForm(BaseModel):
    """The form fields beside ``file`` (all optional: guessed from the file name)."""

    model_config = ConfigDict(extra="forbid")
    label: str | None = Field(None, max_length=100, description="default: from the file name")
    difficulty: DifficultyValue | None = None
    energy_level: EnergyValue | None = None
    style: LibraryStyle | None = Field(None, description="default: from the file name")
    role: Role | None = Field(None, description="default: from the file name")
    tempo: float | None = Field(
        None, ge=50, le=220, description="BPM; required when the clip has no usable sound"
    )


class CutOut(BaseModel):
    start_seconds: float
    counts: int


class PosterOut(BaseModel):
    url: str
    seconds: float


class BeatOut(BaseModel):
    seconds: float
    count: int = Field(description="1-8: 1 on each count 1")


class UploadedMoveOut(StudioMoveOut):
    """An uploaded move with its analysis: what the page needs to adjust the cut."""

    tempo: float = Field(description="Detected (or typed) tempo, BPM")
    tempo_source: Literal["detected", "given"]
    proposed_cut: CutOut
    max_counts: int = Field(description="Whole 8-counts that fit from the proposed start")
    source_seconds: float = Field(description="Length of the uploaded clip")
    beat_seconds: float
    posters: list[PosterOut]
    beats: list[BeatOut]
    portrait: bool
    vfr: bool
    has_audio: bool


class PreviewIn(Strict):
    start_seconds: float = Field(ge=0, le=3600)
    counts: int = Field(ge=1, le=64)

    model_config = ConfigDict(extra="forbid", strict=False)


class PreviewOut(BaseModel):
    url: str = Field(description="A small MP4 of the cut with a click track")


def request_out(found: InstructorRequest) -> dict:
    return InstructorRequestOut.model_validate(found, from_attributes=True).model_dump()


def studio_url(studio_id: int) -> str:
    return absolute_url(f"/studios/{studio_id}/")


def invite_url(code: str) -> str:
    return absolute_url(f"/studios/join/{code}/")


def studio_out(view: services.StudioView) -> dict:
    studio = view.studio
    return {
        "id": studio.pk,
        "name": studio.name,
        "about": studio.about,
        "role": view.role,
        "students": view.students,
        "url": studio_url(studio.pk),
    }


def move_out(request: HttpRequest, move: StudioMove) -> dict:
    clip = move.clip
    poster = clip.poster_key if clip is not None else ""
    return {
        "id": move.pk,
        "label": move.label,
        "difficulty": move.difficulty,
        "energy_level": move.energy_level,
        "style": move.style,
        "role": move.role,
        "start_seconds": move.start_seconds,
        "counts": move.counts,
        "tempo_bpm": move.tempo_bpm,
        "status": move.status,
        "failure": move.failure,
        "poster_url": absolute_url(runtime_of(request).storage.url(poster)) if poster else None,
        "duration_seconds": clip.duration_seconds if clip is not None else None,
    }


def uploaded_out(request: HttpRequest, move: StudioMove, analysis: uploads.UploadAnalysis) -> dict:
    storage = runtime_of(request).storage
    facts = analysis.facts
    return {
        **move_out(request, move),
        "tempo": analysis.tempo_bpm,
        "tempo_source": analysis.tempo_source,
        "proposed_cut": analysis.proposed.model_dump(),
        "max_counts": analysis.max_counts(analysis.proposed.start_seconds),
        "source_seconds": facts.duration,
        "beat_seconds": analysis.beat_seconds,
        "posters": [
            {"url": absolute_url(storage.url(p.key)), "seconds": p.seconds}
            for p in analysis.posters
        ],
        "beats": [b.model_dump() for b in analysis.beats],
        "portrait": facts.portrait,
        "vfr": facts.vfr,
        "has_audio": facts.has_audio,
    }


@router.post(
    "/instructor-requests/",
    response={201: InstructorRequestOut, **ERRORS, **BODY_ERRORS},
    summary="Ask to become an instructor (approved at once with CHOREO_OPEN_INSTRUCTORS=1)",
)
async def ask(request: HttpRequest, body: InstructorRequestIn):
    made = await services.request_instructor(user=request.auth, **body.model_dump())
    return Status(201, request_out(made))


@router.get(
    "/instructor-requests/mine/",
    response={200: InstructorStateOut, **ERRORS},
    summary="Where your request to become an instructor stands",
)
async def mine(request: HttpRequest):
    found = await services.latest_request(user=request.auth)
    views = await services.my_studios(user=request.auth)
    taught = next((v.studio.pk for v in views if v.role == "instructor"), None)
    return {
        "status": found.status if found else "none",
        "request": request_out(found) if found else None,
        "studio_id": taught,
    }


@router.post(
    "/instructor-requests/{request_id}/approve/",
    response={200: InstructorRequestOut, **ERRORS},
    summary="Staff: approve a request (the user becomes an instructor with a studio)",
)
async def approve(request: HttpRequest, request_id: Id):
    return request_out(await services.approve_request(staff=request.auth, request_id=request_id))


@router.post(
    "/instructor-requests/{request_id}/refuse/",
    response={200: InstructorRequestOut, **ERRORS},
    summary="Staff: refuse a request",
)
async def refuse(request: HttpRequest, request_id: Id):
    return request_out(await services.refuse_request(staff=request.auth, request_id=request_id))


@router.get(
    "/studios/mine/",
    response={200: list[StudioOut], **ERRORS},
    summary="The studios you teach or have joined",
)
async def my_studios(request: HttpRequest):
    return [studio_out(view) for view in await services.my_studios(user=request.auth)]


@router.post(
    "/studios/join/",
    response={200: StudioOut, **ERRORS, **BODY_ERRORS},
    summary="Join a studio with its invite code",
)
async def join(request: HttpRequest, body: JoinIn):
    studio = await services.join(user=request.auth, code=body.code)
    return studio_out(await services.get_studio(user=request.auth, studio_id=studio.pk))


@router.get("/studios/{studio_id}/", response={200: StudioOut, **ERRORS}, summary="A studio")
async def studio(request: HttpRequest, studio_id: Id):
    return studio_out(await services.get_studio(user=request.auth, studio_id=studio_id))


@router.post(
    "/studios/{studio_id}/invite/",
    response={200: InviteOut, **ERRORS},
    summary="A new invite code and link (the previous one stops working)",
)
async def renew_invite(request: HttpRequest, studio_id: Id):
    code = await services.renew_invite(user=request.auth, studio_id=studio_id)
    return {"code": code, "url": invite_url(code)}


@router.delete(
    "/studios/{studio_id}/invite/",
    response={204: None, **ERRORS},
    summary="Revoke the invite: no code works until a new one is made",
)
async def revoke_invite(request: HttpRequest, studio_id: Id):
    await services.revoke_invite(user=request.auth, studio_id=studio_id)
    return Status(204, None)


@router.get(
    "/studios/{studio_id}/students/",
    response={200: list[StudentOut], **ERRORS},
    summary="The studio's students (its instructor only)",
)
async def students(request: HttpRequest, studio_id: Id):
    rows = await services.students(user=request.auth, studio_id=studio_id)
    return [
        {"id": m.user_id, "username": m.user.get_username(), "joined_at": m.joined_at} for m in rows
    ]


@router.delete(
    "/studios/{studio_id}/students/{user_id}/",
    response={204: None, **ERRORS},
    summary="Remove a student (its instructor only)",
)
async def remove_student(request: HttpRequest, studio_id: Id, user_id: Id):
    await services.remove_student(user=request.auth, studio_id=studio_id, student_id=user_id)
    return Status(204, None)


@router.get(
    "/studios/{studio_id}/moves/",
    response={200: list[StudioMoveOut], **ERRORS},
    summary="The studio's moves",
)
async def moves(request: HttpRequest, studio_id: Id):
    found = await services.list_moves(user=request.auth, studio_id=studio_id)
    return [move_out(request, m) for m in found]


UPLOAD_DOC = multipart_doc(UploadForm)
UPLOAD_ERRORS = {
    **ERRORS,
    409: ErrorOut,
    413: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
    507: ErrorOut,
}


@router.post(
    "/studios/{studio_id}/moves/",
    response={201: UploadedMoveOut, **UPLOAD_ERRORS},
    summary="Upload a move as filmed (its instructor): analysed, a cut proposed; with Accept: "
    "text/event-stream, progress events then the result",
    openapi_extra=UPLOAD_DOC,
)
async def upload_move(request: HttpRequest, studio_id: Id):
    runtime = runtime_of(request)
    await services._taught(request.auth, studio_id)  # 404/403 before the body is parsed
    stack = contextlib.AsyncExitStack()
    try:
        fields, path, name = await stack.enter_async_context(multipart_upload(request))
        form = validated_form(UploadForm, fields)
    except BaseException:
        await stack.aclose()
        raise
    labels = form.model_dump(exclude={"tempo"}, exclude_none=True)

    async def run(progress=None) -> dict:
        async with stack:  # the file is removed when the work ends, however it ends
            if progress is not None:
                await progress("received", 2, "upload received")
            move, analysis = await uploads.upload_move(
                user=request.auth, studio_id=studio_id, path=path, filename=name,
                typed_tempo=form.tempo, labels=labels, progress=progress, runtime=runtime,
            )  # fmt: skip
            return uploaded_out(request, move, analysis)

    if not wants_event_stream(request.headers.get("accept")):
        return Status(201, await run())

    def relay(listener):
        async def progress(stage: str, percent: int, message: str) -> None:
            listener({"stage": stage, "progress": percent, "message": message})

        return run(progress)

    return event_stream(
        relay,
        render=lambda out: out,
        never_started=lambda: runtime.spawn(stack.aclose(), name="upload cleanup"),
    )


@router.get(
    "/studios/{studio_id}/moves/{move_id}/",
    response={200: UploadedMoveOut, **ERRORS, 409: ErrorOut},
    summary="An uploaded move with its analysis: posters, beat grid, proposed cut (instructor)",
)
async def uploaded_move(request: HttpRequest, studio_id: Id, move_id: Id):
    move, analysis = await uploads.move_analysis(
        user=request.auth, studio_id=studio_id, move_id=move_id, runtime=runtime_of(request)
    )
    return uploaded_out(request, move, analysis)


@router.post(
    "/studios/{studio_id}/moves/{move_id}/preview/",
    response={200: PreviewOut, **ERRORS, **BODY_ERRORS, 409: ErrorOut, 422: ErrorOut},
    summary="A preview of a cut with a click track (rendered on demand, once per cut)",
)
async def preview_move(request: HttpRequest, studio_id: Id, move_id: Id, body: PreviewIn):
    runtime = runtime_of(request)
    key = await uploads.preview(
        user=request.auth,
        studio_id=studio_id,
        move_id=move_id,
        runtime=runtime,
        **body.model_dump(),
    )
    return {"url": absolute_url(runtime.storage.url(key))}


@router.patch(
    "/studios/{studio_id}/moves/{move_id}/",
    response={200: StudioMoveOut, **ERRORS, **BODY_ERRORS, 409: ErrorOut, 422: ErrorOut},
    summary="Edit a move's labels; a start and length cut an uploaded move (in the background)",
)
async def edit_move(request: HttpRequest, studio_id: Id, move_id: Id, body: StudioMovePatch):
    move = await uploads.edit_move(
        user=request.auth,
        studio_id=studio_id,
        move_id=move_id,
        runtime=runtime_of(request),
        **body.model_dump(),
    )
    return move_out(request, move)


@router.delete(
    "/studios/{studio_id}/moves/{move_id}/",
    response={204: None, **ERRORS, 409: ErrorOut},
    summary="Delete a move (refused while choreographies use it)",
)
async def delete_move(request: HttpRequest, studio_id: Id, move_id: Id):
    await uploads.remove_move(
        user=request.auth, studio_id=studio_id, move_id=move_id, runtime=runtime_of(request)
    )
    return Status(204, None)
