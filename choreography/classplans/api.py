"""/api/class-plans/: an instructor's class plans, their ordered sequences, summary and stats.

Thin views over choreography.classplans.services: non-instructors get 403, another user's plan
or saved choreography is 404, errors leave in the one ``{error, details, stage}`` shape.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from choreography.api.schemas import BODY_ERRORS, NOTES_MAX, ErrorOut, Page, PageQuery, page_out
from choreography.classplans import services
from choreography.classplans.models import ClassPlan, PlanSequence

router = Router(tags=["class plans"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Repetitions = Annotated[int, Field(ge=1, le=100)]
Minutes = Annotated[int, Field(ge=1, le=1440)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(value: object) -> object:
    """An ISO ``YYYY-MM-DD`` string as a date; anything else (``0``, a timestamp, a datetime
    string) is refused, never coerced: lax pydantic took ``0`` as 1970-01-01."""
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return dt.date.fromisoformat(value)  # ValueError (a 400) for 2026-02-30
    raise ValueError("expected an ISO date string 'YYYY-MM-DD'")


IsoDate = Annotated[
    dt.date,
    BeforeValidator(iso_date),
    WithJsonSchema({"type": "string", "format": "date"}),
]


class PlanCreate(Strict):
    title: str = Field(min_length=1, max_length=200)
    level: str = Field("", max_length=20)
    date: IsoDate | None = Field(None, description="ISO date, e.g. 2026-12-31")
    duration_target_minutes: Minutes | None = None
    notes: str = Field("", max_length=NOTES_MAX)


class PlanUpdate(PlanCreate):
    """Only the fields sent change."""

    title: str | None = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    level: str | None = Field(None, max_length=20)  # type: ignore[assignment]
    notes: str | None = Field(None, max_length=NOTES_MAX)  # type: ignore[assignment]


class SequenceCreate(Strict):
    choreography_id: Id
    notes: str = Field("", max_length=NOTES_MAX)
    repetitions: Repetitions = 1


class SequenceUpdate(Strict):
    notes: str | None = Field(None, max_length=NOTES_MAX)
    repetitions: Repetitions | None = None


class OrderRequest(Strict):
    sequence_ids: list[Id] = Field(max_length=1000, description="Every sequence id, in order")


class SequenceOut(BaseModel):
    id: int
    position: int
    choreography_id: int
    title: str
    duration_seconds: float
    notes: str
    repetitions: int


class PlanOut(BaseModel):
    id: int
    title: str
    level: str
    date: dt.date | None
    duration_target_minutes: int | None
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime


class PlanDetail(PlanOut):
    sequences: list[SequenceOut]


class PlanPage(Page[PlanOut]):
    pass


class MoveCount(BaseModel):
    name: str
    count: int


class PlanSummary(BaseModel):
    plan_id: int
    sequences: int
    total_seconds: float = Field(description="Sum of each choreography's duration x repetitions")
    total_minutes: float
    duration_target_minutes: int | None
    target_difference_minutes: float | None = Field(
        description="total_minutes - target (negative: shorter than the target)"
    )
    moves: list[MoveCount] = Field(description="Each move used, times danced (x repetitions)")
    difficulty: dict[str, int] = Field(description="Moves danced per difficulty")


class PlanStats(BaseModel):
    plans: int
    sequences: int
    top_moves: list[MoveCount] = Field(description="The 10 moves danced most across your plans")


class SequenceList(BaseModel):
    items: list[SequenceOut]


def plan_out(plan: ClassPlan) -> dict:
    return PlanOut.model_validate(plan, from_attributes=True).model_dump(mode="json")


def sequence_out(sequence: PlanSequence) -> dict:
    return {
        "id": sequence.pk,
        "position": sequence.position,
        "choreography_id": sequence.choreography_id,
        "title": sequence.choreography.title,
        "duration_seconds": services.sequence_seconds(sequence),
        "notes": sequence.notes,
        "repetitions": sequence.repetitions,
    }


def detail(plan: ClassPlan, sequences: list[PlanSequence]) -> dict:
    return {**plan_out(plan), "sequences": [sequence_out(s) for s in sequences]}


@router.get("/", response={200: PlanPage, **ERRORS}, summary="Your class plans, newest first")
async def list_plans(request: HttpRequest, query: Query[PageQuery]):
    rows, total = await services.list_plans(
        request.auth, page=query.page, page_size=query.page_size
    )
    return page_out([plan_out(p) for p in rows], query, total)


@router.post("/", response={201: PlanDetail, **ERRORS, **BODY_ERRORS}, summary="Create a plan")
async def create_plan(request: HttpRequest, body: PlanCreate):
    plan = await services.create_plan(request.auth, **body.model_dump())
    return Status(201, detail(plan, []))


@router.get(
    "/stats/", response={200: PlanStats, **ERRORS}, summary="Your plans, sequences, top moves"
)
async def stats(request: HttpRequest):
    return await services.instructor_stats(request.auth)


@router.get("/{plan_id}/", response={200: PlanDetail, **ERRORS}, summary="One plan")
async def get_plan(request: HttpRequest, plan_id: Id):
    return detail(*await services.get_plan(request.auth, plan_id))


@router.patch(
    "/{plan_id}/", response={200: PlanDetail, **ERRORS, **BODY_ERRORS}, summary="Edit a plan"
)
async def update_plan(request: HttpRequest, plan_id: Id, body: PlanUpdate):
    await services.update_plan(request.auth, plan_id, body.model_dump(exclude_unset=True))
    return detail(*await services.get_plan(request.auth, plan_id))


@router.delete("/{plan_id}/", response={204: None, **ERRORS}, summary="Delete a plan")
async def delete_plan(request: HttpRequest, plan_id: Id):
    await services.delete_plan(request.auth, plan_id)
    return Status(204, None)


@router.post(
    "/{plan_id}/sequences/",
    response={201: SequenceOut, **ERRORS, **BODY_ERRORS},
    summary="Append one of your saved choreographies to a plan",
)
async def add_sequence(request: HttpRequest, plan_id: Id, body: SequenceCreate):
    sequence = await services.add_sequence(request.auth, plan_id, **body.model_dump())
    return Status(201, sequence_out(sequence))


@router.patch(
    "/{plan_id}/sequences/{sequence_id}/",
    response={200: SequenceOut, **ERRORS, **BODY_ERRORS},
    summary="Edit a sequence's notes or repetitions",
)
async def update_sequence(request: HttpRequest, plan_id: Id, sequence_id: Id, body: SequenceUpdate):
    sequence = await services.update_sequence(
        request.auth, plan_id, sequence_id, body.model_dump(exclude_unset=True)
    )
    return sequence_out(sequence)


@router.delete(
    "/{plan_id}/sequences/{sequence_id}/",
    response={204: None, **ERRORS},
    summary="Remove a sequence from a plan",
)
async def delete_sequence(request: HttpRequest, plan_id: Id, sequence_id: Id):
    await services.delete_sequence(request.auth, plan_id, sequence_id)
    return Status(204, None)


@router.put(
    "/{plan_id}/order/",
    response={200: SequenceList, **ERRORS, **BODY_ERRORS},
    summary="Set the whole order of a plan's sequences (atomic)",
    description="`sequence_ids` must list each of the plan's sequences exactly once (else 400, "
    "and nothing changes).",
)
async def reorder(request: HttpRequest, plan_id: Id, body: OrderRequest):
    sequences = await services.reorder(request.auth, plan_id, body.sequence_ids)
    return {"items": [sequence_out(s) for s in sequences]}


@router.post(
    "/{plan_id}/duplicate/",
    response={201: PlanDetail, **ERRORS},
    summary='Copy a plan (title + " (copy)") with the same sequences',
)
async def duplicate(request: HttpRequest, plan_id: Id):
    copy = await services.duplicate_plan(request.auth, plan_id)
    return Status(201, detail(*await services.get_plan(request.auth, copy.pk)))


@router.get(
    "/{plan_id}/summary/",
    response={200: PlanSummary, **ERRORS},
    summary="Total time, moves used and difficulty spread, against the duration target",
)
async def summary(request: HttpRequest, plan_id: Id):
    return await services.plan_summary(request.auth, plan_id)
