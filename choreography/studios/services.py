"""Studios, the use cases (no HTTP): becoming an instructor, invites and students, the studio's
move library, and which moves a generation may draw from.

Every function takes the acting user. A studio is seen only by its instructor and its students:
anyone else gets NotFoundError, exactly as for a studio that does not exist. What only the
instructor may do (invites, removing students, editing moves) is PermissionDeniedError for a
student, who can see the studio anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from choreography.accounts.models import Profile
from choreography.errors import (
    InUseError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from choreography.library.editing import LISTED_USERS, delete_move, move_users
from choreography.models import Move
from choreography.studios.models import (
    InstructorRequest,
    Membership,
    RequestStatus,
    Studio,
    StudioMove,
    StudioMoveStatus,
)
from storage import Storage

Role = Literal["instructor", "student"]
Library = Literal["public", "studio", "both"]
STAGE = "studios"
INVITE_BYTES = 18
"""An invite code carries 144 random bits (24 URL-safe characters): not guessable."""
MOVE_LABELS = ("label", "difficulty", "energy_level", "style", "role")
MOVE_CUT = ("start_seconds", "counts")


# Becoming an instructor -------------------------------------------------------------------


async def latest_request(*, user) -> InstructorRequest | None:
    """The user's most recent request to become an instructor, if any."""
    return await InstructorRequest.objects.filter(user=user).order_by("-created_at", "-id").afirst()


async def request_instructor(*, user, studio_name: str, about: str = "") -> InstructorRequest:
    """Ask to become an instructor; approved at once when CHOREO_OPEN_INSTRUCTORS is on.

    Refused (InvalidRequestError) for an instructor who already has a studio and for a user
    whose earlier request is still pending.
    """
    studio_name, about = studio_name.strip(), about.strip()
    if not studio_name:
        raise InvalidRequestError("the studio needs a name", stage=STAGE)
    if await Studio.objects.filter(instructor=user).aexists():
        raise InvalidRequestError("you are already an instructor with a studio", stage=STAGE)
    try:
        made = await InstructorRequest.objects.acreate(
            user=user, studio_name=studio_name, about=about
        )
    except IntegrityError:
        raise InvalidRequestError(
            "you already asked to become an instructor",
            details="your request is waiting for staff to approve it",
            stage=STAGE,
        ) from None
    if settings.CHOREO.open_instructors:
        return await _decide(made.pk, approve=True, staff=None)
    return made


async def approve_request(*, staff, request_id: int) -> InstructorRequest:
    """Staff approve: the user becomes an instructor and their studio is opened."""
    _require_staff(staff)
    return await _decide(request_id, approve=True, staff=staff)


async def refuse_request(*, staff, request_id: int) -> InstructorRequest:
    """Staff refuse: the user stays a dancer (and may ask again)."""
    _require_staff(staff)
    return await _decide(request_id, approve=False, staff=staff)


def _require_staff(user) -> None:
    if not getattr(user, "is_staff", False):
        raise PermissionDeniedError("only staff approve or refuse instructors", stage=STAGE)


@sync_to_async
def _decide(request_id: int, *, approve: bool, staff) -> InstructorRequest:
    return decide(request_id, approve=approve, staff=staff)


def decide(request_id: int, *, approve: bool, staff) -> InstructorRequest:
    """Approve or refuse a pending request, atomically (the admin's actions call this too)."""
    with transaction.atomic():
        found = InstructorRequest.objects.select_for_update().filter(pk=request_id).first()
        if found is None:
            raise NotFoundError(f"instructor request {request_id} does not exist", stage=STAGE)
        if found.status != RequestStatus.PENDING:
            raise InvalidRequestError(
                f"instructor request {request_id} is already {found.status}", stage=STAGE
            )
        found.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
        found.decided_by = staff
        found.decided_at = timezone.now()
        found.save(update_fields=["status", "decided_by", "decided_at"])
        if approve:
            Profile.objects.update_or_create(user=found.user, defaults={"is_instructor": True})
            Studio.objects.get_or_create(
                instructor=found.user,
                defaults={"name": found.studio_name, "about": found.about},
            )
    return found


# Studios and students ----------------------------------------------------------------------


@dataclass(frozen=True)
class StudioView:
    """A studio as the caller sees it: ``role`` is theirs there."""

    studio: Studio
    role: Role
    students: int


def _visible(user) -> Q:
    return Q(instructor=user) | Q(memberships__user=user)


async def my_studios(*, user) -> list[StudioView]:
    """The studios the user teaches (first) or has joined."""
    if not getattr(user, "is_authenticated", False):
        return []
    rows = Studio.objects.filter(_visible(user)).distinct().order_by("id")
    found = []
    async for studio in rows:
        role: Role = "instructor" if studio.instructor_id == user.pk else "student"
        students = await Membership.objects.filter(studio=studio).acount()
        found.append(StudioView(studio, role, students))
    return sorted(found, key=lambda view: view.role != "instructor")


async def get_studio(*, user, studio_id: int) -> StudioView:
    """The studio if the user teaches or joined it; NotFoundError for everyone else."""
    studio = None
    if getattr(user, "is_authenticated", False):
        studio = await Studio.objects.filter(_visible(user), pk=studio_id).distinct().afirst()
    if studio is None:
        raise NotFoundError(f"studio {studio_id} does not exist", stage=STAGE)
    role: Role = "instructor" if studio.instructor_id == user.pk else "student"
    students = await Membership.objects.filter(studio=studio).acount()
    return StudioView(studio, role, students)


async def _taught(user, studio_id: int) -> Studio:
    view = await get_studio(user=user, studio_id=studio_id)
    if view.role != "instructor":
        raise PermissionDeniedError("only the studio's instructor may do this", stage=STAGE)
    return view.studio


async def students(*, user, studio_id: int) -> list[Membership]:
    """The studio's students, for its instructor."""
    studio = await _taught(user, studio_id)
    return [m async for m in Membership.objects.filter(studio=studio).select_related("user")]


def invite_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def renew_invite(*, user, studio_id: int) -> str:
    """A new invite code for the studio; the previous one stops working. Only its hash is kept."""
    studio = await _taught(user, studio_id)
    code = secrets.token_urlsafe(INVITE_BYTES)
    studio.invite_hash, studio.invite_created_at = invite_hash(code), timezone.now()
    await studio.asave(update_fields=["invite_hash", "invite_created_at"])
    return code


async def revoke_invite(*, user, studio_id: int) -> None:
    """No invite code works for the studio until a new one is made."""
    studio = await _taught(user, studio_id)
    studio.invite_hash, studio.invite_created_at = "", None
    await studio.asave(update_fields=["invite_hash", "invite_created_at"])


async def join(*, user, code: str) -> Studio:
    """Join the studio whose current invite code this is (its instructor: a no-op)."""
    digest = invite_hash(code.strip())
    studio = await Studio.objects.filter(invite_hash=digest).exclude(invite_hash="").afirst()
    if studio is None or not hmac.compare_digest(studio.invite_hash, digest):
        raise NotFoundError(
            "this invite code does not work",
            details="ask your instructor for a new link: codes stop working when renewed or revoked",
            stage=STAGE,
        )
    if studio.instructor_id != user.pk:
        await Membership.objects.aget_or_create(studio=studio, user=user)
    return studio


async def remove_student(*, user, studio_id: int, student_id: int) -> None:
    """The instructor removes a student; NotFoundError if they are not one."""
    studio = await _taught(user, studio_id)
    deleted, _ = await Membership.objects.filter(studio=studio, user_id=student_id).adelete()
    if not deleted:
        raise NotFoundError(f"user {student_id} is not a student of this studio", stage=STAGE)


# The studio's moves ------------------------------------------------------------------------


async def list_moves(*, user, studio_id: int) -> list[StudioMove]:
    """The studio's moves, oldest first (instructor and students)."""
    view = await get_studio(user=user, studio_id=studio_id)
    return [m async for m in StudioMove.objects.filter(studio=view.studio).select_related("clip")]


async def _own_move(user, studio_id: int, move_id: int) -> StudioMove:
    studio = await _taught(user, studio_id)
    move = (
        await StudioMove.objects.filter(studio=studio, pk=move_id).select_related("clip").afirst()
    )
    if move is None:
        raise NotFoundError(f"move {move_id} does not exist in this studio", stage=STAGE)
    return move


async def edit_move(*, user, studio_id: int, move_id: int, **fields) -> StudioMove:
    """Change labels and the stored cut (``start_seconds``, ``counts``); only the fields given.

    The labels are the clip's too (generate reads them there), changed in the same transaction.
    """
    move = await _own_move(user, studio_id, move_id)
    changed = {k: v for k, v in fields.items() if k in (*MOVE_LABELS, *MOVE_CUT) and v is not None}
    for name, value in changed.items():
        setattr(move, name, value)
    await _save_move(move, sorted(changed))
    return move


@sync_to_async
def _save_move(move: StudioMove, changed: list[str]) -> None:
    with transaction.atomic():
        move.save(update_fields=[*changed, "updated_at"])
        labels = [name for name in changed if name in MOVE_LABELS]
        if move.clip is not None and labels:
            for name in labels:
                setattr(move.clip, name, getattr(move, name))
            move.clip.save(update_fields=labels)


async def remove_move(*, user, studio_id: int, move_id: int, storage: Storage) -> None:
    """Delete the move and its clip's stored objects; InUseError (a sentence) while completed
    choreographies (saved ones, those in class plans) use it."""
    move = await _own_move(user, studio_id, move_id)
    if move.clip is None:
        await move.adelete()
        return
    if users := await move_users(move.clip):
        n = len(users)
        listed = ", ".join(users[:LISTED_USERS])
        raise InUseError(
            f"the move {move.label!r} cannot be deleted: {n} choreograph"
            f"{'y uses' if n == 1 else 'ies use'} it",
            details=f"delete those choreographies (and take them out of class plans) first: "
            f"tasks {listed}{' and more' if n > LISTED_USERS else ''}",
            stage=STAGE,
        )
    await delete_move(
        move.clip, storage=storage
    )  # the studio move goes with its clip (on_delete CASCADE)


# Generation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationLibrary:
    """The moves a generation may use, and which of them are the studio's (preferred)."""

    moves: list[Move]
    preferred: frozenset[int]


def public_moves(base: QuerySet[Move]) -> QuerySet[Move]:
    """The public library: moves that belong to no studio."""
    return base.filter(studio_move__isnull=True)


async def generation_library(
    *, user, library: Library, studio_id: int | None, base: QuerySet[Move]
) -> GenerationLibrary:
    """The moves of ``base`` (the joinable ones) that ``library`` names, for this user.

    "public": the public library; "studio": the ready moves of a studio the user teaches or
    joined (NotFoundError otherwise); "both": the two, the studio's preferred.
    """
    studio_moves: list[Move] = []
    if library != "public":
        if studio_id is None:
            raise InvalidRequestError(f'library "{library}" needs a studio_id', stage="validation")
        view = await get_studio(user=user, studio_id=studio_id)
        ready = base.filter(
            studio_move__studio=view.studio, studio_move__status=StudioMoveStatus.READY
        )
        studio_moves = [m async for m in ready]
        if library == "studio" and not studio_moves:
            raise InvalidRequestError(
                f"the studio {view.studio.name!r} has no move ready to dance yet",
                details='its moves are still being prepared; try library "both" or "public"',
                stage="planning",
            )
    public = [m async for m in public_moves(base)] if library != "studio" else []
    return GenerationLibrary(studio_moves + public, frozenset(m.pk for m in studio_moves))
