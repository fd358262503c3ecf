"""Class plans, the use cases (no HTTP): an instructor's own plans and their ordered sequences.

Every function takes the acting user and refuses anyone who is not an instructor
(PermissionDeniedError); another user's plan or saved choreography is "not found".
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.db import transaction
from django.db.models import Max

from choreography.accounts.models import Profile
from choreography.classplans.models import ClassPlan, PlanSequence
from choreography.collections.models import SavedChoreography
from choreography.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from choreography.music.vocabulary import BEATS_PER_PHRASE
from choreography.paging import page_of

PLAN_FIELDS = ("title", "level", "date", "duration_target_minutes", "notes")
TOP_MOVES = 10


async def is_instructor(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return await Profile.objects.filter(user=user, is_instructor=True).aexists()


async def require_instructor(user) -> None:
    if not await is_instructor(user):
        raise PermissionDeniedError(
            "class plans are for instructors",
            details="ask to become one on your account page (/accounts/#instructor) "
            "or with POST /api/instructor-requests/",
        )


def _plans(user):
    return ClassPlan.objects.filter(user=user)


async def _plan(user, plan_id: int) -> ClassPlan:
    await require_instructor(user)
    plan = await _plans(user).filter(pk=plan_id).afirst()
    if plan is None:
        raise NotFoundError(f"class plan {plan_id} does not exist")
    return plan


def _sequences(plan: ClassPlan):
    return (
        PlanSequence.objects.filter(plan=plan)
        .select_related("choreography__task__song")
        .order_by("position")
    )


async def list_plans(user, *, page: int, page_size: int) -> tuple[list[ClassPlan], int]:
    await require_instructor(user)
    rows = _plans(user).order_by("-created_at", "-id")
    return await page_of(rows, page=page, page_size=page_size)


async def create_plan(user, **fields) -> ClassPlan:
    await require_instructor(user)
    return await ClassPlan.objects.acreate(
        user=user, **{k: v for k, v in fields.items() if k in PLAN_FIELDS and v is not None}
    )


async def get_plan(user, plan_id: int) -> tuple[ClassPlan, list[PlanSequence]]:
    plan = await _plan(user, plan_id)
    return plan, [s async for s in _sequences(plan)]


async def update_plan(user, plan_id: int, changes: dict) -> ClassPlan:
    plan = await _plan(user, plan_id)
    for name, value in changes.items():
        if name in PLAN_FIELDS:
            if value is None and name in ("title", "level", "notes"):
                value = "" if name != "title" else plan.title
            setattr(plan, name, value)
    await plan.asave()
    return plan


async def delete_plan(user, plan_id: int) -> None:
    plan = await _plan(user, plan_id)
    await plan.adelete()


async def _own_choreography(user, choreography_id: int) -> SavedChoreography:
    saved = await SavedChoreography.objects.filter(user=user, pk=choreography_id).afirst()
    if saved is None:
        raise NotFoundError(f"saved choreography {choreography_id} does not exist")
    return saved


@sync_to_async
def _append(plan: ClassPlan, saved: SavedChoreography, notes: str, repetitions: int):
    with transaction.atomic():
        ClassPlan.objects.select_for_update().filter(pk=plan.pk).first()  # serialise appends
        last = PlanSequence.objects.filter(plan=plan).aggregate(m=Max("position"))["m"]
        return PlanSequence.objects.create(
            plan=plan,
            choreography=saved,
            position=0 if last is None else last + 1,
            notes=notes,
            repetitions=repetitions,
        )


async def add_sequence(
    user, plan_id: int, *, choreography_id: int, notes: str = "", repetitions: int = 1
) -> PlanSequence:
    plan = await _plan(user, plan_id)
    saved = await _own_choreography(user, choreography_id)
    created = await _append(plan, saved, notes, repetitions)
    return await _sequences(plan).aget(pk=created.pk)


async def _sequence(plan: ClassPlan, sequence_id: int) -> PlanSequence:
    sequence = await _sequences(plan).filter(pk=sequence_id).afirst()
    if sequence is None:
        raise NotFoundError(f"sequence {sequence_id} is not in class plan {plan.pk}")
    return sequence


async def update_sequence(user, plan_id: int, sequence_id: int, changes: dict) -> PlanSequence:
    plan = await _plan(user, plan_id)
    sequence = await _sequence(plan, sequence_id)
    if changes.get("notes") is not None:
        sequence.notes = changes["notes"]
    if changes.get("repetitions") is not None:
        sequence.repetitions = changes["repetitions"]
    await sequence.asave(update_fields=["notes", "repetitions"])
    return sequence


async def delete_sequence(user, plan_id: int, sequence_id: int) -> None:
    plan = await _plan(user, plan_id)
    await (await _sequence(plan, sequence_id)).adelete()


@sync_to_async
def _reorder(plan: ClassPlan, sequence_ids: list[int]) -> None:
    with transaction.atomic():
        ClassPlan.objects.select_for_update().filter(pk=plan.pk).first()
        current = set(PlanSequence.objects.filter(plan=plan).values_list("pk", flat=True))
        if len(sequence_ids) != len(set(sequence_ids)) or set(sequence_ids) != current:
            raise InvalidRequestError(
                "sequence_ids must list each of the plan's sequences exactly once",
                details={"expected": sorted(current), "got": sequence_ids},
            )
        # Park every row above the current range first, so no intermediate state repeats a
        # position (the unique (plan, position) constraint is checked per statement).
        top = PlanSequence.objects.filter(plan=plan).aggregate(m=Max("position"))["m"] or 0
        offset = top + 1
        for index, pk in enumerate(sequence_ids):
            PlanSequence.objects.filter(pk=pk).update(position=offset + index)
        for index, pk in enumerate(sequence_ids):
            PlanSequence.objects.filter(pk=pk).update(position=index)


async def reorder(user, plan_id: int, sequence_ids: list[int]) -> list[PlanSequence]:
    plan = await _plan(user, plan_id)
    await _reorder(plan, sequence_ids)
    return [s async for s in _sequences(plan)]


@sync_to_async
def _duplicate(plan: ClassPlan) -> ClassPlan:
    with transaction.atomic():
        copy = ClassPlan.objects.create(
            user=plan.user,
            title=(plan.title + " (copy)")[:200],
            level=plan.level,
            date=plan.date,
            duration_target_minutes=plan.duration_target_minutes,
            notes=plan.notes,
        )
        PlanSequence.objects.bulk_create(
            PlanSequence(
                plan=copy,
                choreography_id=s.choreography_id,
                position=s.position,
                notes=s.notes,
                repetitions=s.repetitions,
            )
            for s in PlanSequence.objects.filter(plan=plan).order_by("position")
        )
        return copy


async def duplicate_plan(user, plan_id: int) -> ClassPlan:
    return await _duplicate(await _plan(user, plan_id))


# --- reading a plan: durations, moves, counts -------------------------------------------------


def timeline(sequence: PlanSequence) -> list[dict]:
    return list((sequence.choreography.task.result or {}).get("timeline", []))


def sequence_seconds(sequence: PlanSequence) -> float:
    result = sequence.choreography.task.result or {}
    return float(result.get("duration_seconds", 0.0))


def count_of(start_time: float, *, bpm: float, first_beat: float) -> int | None:
    """The 8-count (1-based) a move starting at ``start_time`` begins in; None: the intro."""
    if bpm <= 0 or start_time < first_beat - 1e-6:
        return None
    phrase = BEATS_PER_PHRASE * 60.0 / bpm
    return math.floor((start_time - first_beat) / phrase + 1e-6) + 1


@dataclass
class Summary:
    total_seconds: float = 0.0
    moves: Counter = field(default_factory=Counter)
    difficulties: Counter = field(default_factory=Counter)


def summarize(sequences: list[PlanSequence]) -> Summary:
    summary = Summary()
    for sequence in sequences:
        summary.total_seconds += sequence_seconds(sequence) * sequence.repetitions
        for move in timeline(sequence):
            summary.moves[move["name"]] += sequence.repetitions
            summary.difficulties[move["difficulty"]] += sequence.repetitions
    return summary


async def plan_summary(user, plan_id: int) -> dict:
    plan, sequences = await get_plan(user, plan_id)
    summary = summarize(sequences)
    total = round(summary.total_seconds, 3)
    target = plan.duration_target_minutes
    return {
        "plan_id": plan.pk,
        "sequences": len(sequences),
        "total_seconds": total,
        "total_minutes": round(total / 60, 2),
        "duration_target_minutes": target,
        "target_difference_minutes": None if target is None else round(total / 60 - target, 2),
        "moves": [{"name": n, "count": c} for n, c in sorted(summary.moves.items())],
        "difficulty": dict(sorted(summary.difficulties.items())),
    }


async def instructor_stats(user) -> dict:
    await require_instructor(user)
    plans = await _plans(user).acount()
    sequences = [
        s
        async for s in PlanSequence.objects.filter(plan__user=user).select_related(
            "choreography__task"
        )
    ]
    moves = summarize(sequences).moves
    top = sorted(moves.items(), key=lambda item: (-item[1], item[0]))[:TOP_MOVES]
    return {
        "plans": plans,
        "sequences": len(sequences),
        "top_moves": [{"name": n, "count": c} for n, c in top],
    }


def printable(sequences: list[PlanSequence]) -> list[dict]:
    """Each sequence with its moves and the 8-count each move starts on."""
    rows = []
    for sequence in sequences:
        song = sequence.choreography.task.song
        bpm = song.bpm if song else 0.0
        first_beat = song.first_beat_seconds if song else 0.0
        moves = [
            {
                **move,
                "count": count_of(move["start_time"], bpm=bpm, first_beat=first_beat),
            }
            for move in timeline(sequence)
        ]
        rows.append(
            {
                "sequence": sequence,
                "title": sequence.choreography.title,
                "song": song,
                "seconds": sequence_seconds(sequence),
                "moves": moves,
            }
        )
    return rows


async def own_choreographies(user) -> list[SavedChoreography]:
    """The instructor's saved choreographies, newest first (what a sequence may use)."""
    await require_instructor(user)
    return [s async for s in SavedChoreography.objects.filter(user=user).order_by("-created_at")]
