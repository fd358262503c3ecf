"""/api/instructor-requests/ and /api/studios/: becoming an instructor, studios, invites,
students and the studio's moves.

Thin views over choreography.studios.services. A studio the caller neither teaches nor joined is
404, like one that does not exist; what only its instructor may do is 403 for a student. Errors
leave in the one ``{error, details, stage}`` shape.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import BaseModel, ConfigDict, Field

from choreography.api.request_context import runtime_of
from choreography.api.responses import absolute_url
from choreography.api.schemas import BODY_ERRORS, DifficultyValue, EnergyValue, ErrorOut
from choreography.studios import services
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
    status: Literal["analysing", "ready", "failed"]
    poster_url: str | None
    duration_seconds: float | None = Field(description="Of its canonical clip, once made")


class StudioMovePatch(Strict):
    """Only the fields sent change; the start and length are stored (the re-cut itself comes
    with the upload pipeline)."""

    label: str | None = Field(None, min_length=1, max_length=100)
    difficulty: DifficultyValue | None = None
    energy_level: EnergyValue | None = None
    style: LibraryStyle | None = None
    role: Role | None = None
    start_seconds: float | None = Field(None, ge=0, le=120)
    counts: int | None = Field(None, ge=1, le=32)

    model_config = ConfigDict(extra="forbid", strict=False)  # 1 and 1.0 both fine for seconds


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
        "poster_url": absolute_url(runtime_of(request).storage.url(poster)) if poster else None,
        "duration_seconds": clip.duration_seconds if clip is not None else None,
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


@router.patch(
    "/studios/{studio_id}/moves/{move_id}/",
    response={200: StudioMoveOut, **ERRORS, **BODY_ERRORS},
    summary="Edit a move's labels, start and length in 8-counts",
)
async def edit_move(request: HttpRequest, studio_id: Id, move_id: Id, body: StudioMovePatch):
    move = await services.edit_move(
        user=request.auth, studio_id=studio_id, move_id=move_id, **body.model_dump()
    )
    return move_out(request, move)


@router.delete(
    "/studios/{studio_id}/moves/{move_id}/",
    response={204: None, **ERRORS, 409: ErrorOut},
    summary="Delete a move (refused while choreographies use it)",
)
async def delete_move(request: HttpRequest, studio_id: Id, move_id: Id):
    await services.remove_move(
        user=request.auth,
        studio_id=studio_id,
        move_id=move_id,
        storage=runtime_of(request).storage,
    )
    return Status(204, None)
