"""My choreographies: save, search, edit, delete, share, usage vs quota (the service contract).

No HTTP here: the API (choreography.collections.api) and the pages call these functions, which
raise the ChoreoError family. Every query is scoped to the user: another user's item is
NotFoundError, never PermissionDeniedError (its existence is not revealed).

Deleting removes the video from storage first, then the SavedChoreography, and marks the task
row deleted (it stays in the history as an attempt that says so, to try again): a storage
failure leaves both rows in place and is reported, so no video is ever orphaned without a row
that names it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections import Counter
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from assembly import ChoreoError
from choreography.collections.models import SavedChoreography
from choreography.collections.signals import choreography_deleting
from choreography.errors import InvalidRequestError, NotFoundError, QuotaExceededError
from choreography.generation.history import deleted_fields
from choreography.models import ChoreographyTask, TaskStatus
from choreography.paging import page_of
from storage import Storage, StorageError

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
ORDERINGS = {
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "title": ("title", "id"),
    "-title": ("-title", "-id"),
}
MAX_TAGS = 20
MAX_TAG_LENGTH = 50


class StorageDeleteError(ChoreoError):
    """The video could not be removed from storage; the row is kept (HTTP 500)."""

    default_stage = "storage"


# --- usage and quota -------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    used_bytes: int
    quota_bytes: int

    @property
    def used_mb(self) -> float:
        return round(self.used_bytes / MIB, 2)

    @property
    def quota_mb(self) -> float:
        return round(self.quota_bytes / MIB, 2)


async def usage(user) -> Usage:
    """The sum of result size_bytes of the user's completed tasks, and the quota."""
    sizes = ChoreographyTask.objects.filter(user=user, status=TaskStatus.COMPLETED).values_list(
        "result__size_bytes", flat=True
    )
    used = sum([int(size or 0) async for size in sizes])
    return Usage(used, settings.CHOREO.user_quota_mb * MIB)


async def check_quota(user, *, action: str) -> Usage:
    """QuotaExceededError when the user's stored videos already reach the quota.

    A generation's size is unknown before it runs, so it is refused once the quota is reached;
    a save adds no bytes (its video is already counted) and is refused past the quota.
    """
    current = await usage(user)
    over = (
        current.used_bytes >= current.quota_bytes
        if action == "generate"
        else current.used_bytes > current.quota_bytes
    )
    if over:
        raise QuotaExceededError(
            f"storage quota reached: {current.used_mb} MB used of {current.quota_mb} MB",
            details=f"the {action} was refused; delete saved or unsaved choreographies to free "
            "room (CHOREO_USER_QUOTA_MB)",
        )
    return current


# --- saving ----------------------------------------------------------------------------------


def default_title(task: ChoreographyTask) -> str:
    """ "Obsesión — beginner, medium, romantic": the song title plus the parameters."""
    params = task.parameters or {}
    words = [params.get(k) for k in ("difficulty", "energy_level", "style")]
    song = task.song.title if task.song else "Choreography"
    described = ", ".join(w for w in words if w)
    return f"{song} — {described}" if described else song


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise InvalidRequestError(
            "invalid request: title: may not be empty",
            details=[{"field": "title", "message": "may not be empty"}],
        )
    return title[:200]


def _clean_tags(tags: list[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip()[:MAX_TAG_LENGTH]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise InvalidRequestError(
            f"invalid request: tags: at most {MAX_TAGS}",
            details=[{"field": "tags", "message": f"at most {MAX_TAGS}"}],
        )
    return cleaned


def _mine(user):
    return SavedChoreography.objects.filter(user=user).select_related("task", "task__song")


async def save(
    *, user, task_id, title: str | None = None, notes: str = "", tags: list[str] | None = None
) -> SavedChoreography:
    """Keep one of the user's completed generations (NotFoundError for any other task)."""
    task = (
        await ChoreographyTask.objects.select_related("song")
        .filter(user=user, status=TaskStatus.COMPLETED, pk=task_id)
        .afirst()
    )
    if task is None:
        raise NotFoundError(f"no completed generation {task_id} among yours", stage="lookup")
    existing = await _mine(user).filter(task=task).afirst()
    if existing is not None:
        return existing
    await check_quota(user, action="save")
    try:
        saved = await SavedChoreography.objects.acreate(
            user=user,
            task=task,
            title=_clean_title(title) if title is not None else default_title(task)[:200],
            notes=notes or "",
            tags=_clean_tags(tags or []),
        )
    except IntegrityError:  # saved concurrently
        saved = await _mine(user).aget(task=task)
    return await _mine(user).aget(pk=saved.pk)


async def auto_save(task: ChoreographyTask) -> SavedChoreography | None:
    """Save a just-completed generation when its owner's ``auto_save`` preference is on."""
    from choreography.accounts.services import get_preferences

    user = task.user
    if not (await get_preferences(user)).auto_save:
        return None
    if task.song_id and task.song is None:  # pragma: no cover - select_related normally
        task = await ChoreographyTask.objects.select_related("song").aget(pk=task.pk)
    saved, _ = await SavedChoreography.objects.aget_or_create(
        task=task, defaults={"user": user, "title": default_title(task)[:200]}
    )
    return saved


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    q: str = ""
    song: int | None = None
    difficulty: str = ""
    style: str = ""
    tag: str = ""
    ordering: str = "-created"


async def list_saved(
    *, user, filters: Filters, page: int, page_size: int
) -> tuple[list[SavedChoreography], int]:
    """The user's saved choreographies matching ``filters``: (the page's rows, total)."""
    query = _mine(user)
    if filters.q:
        query = query.filter(
            Q(title__icontains=filters.q)
            | Q(notes__icontains=filters.q)
            | Q(task__song__title__icontains=filters.q)
        )
    if filters.song is not None:
        query = query.filter(task__song_id=filters.song)
    if filters.difficulty:
        query = query.filter(task__parameters__difficulty=filters.difficulty)
    if filters.style:
        query = query.filter(task__parameters__style=filters.style)
    if filters.tag:
        # JSON containment differs between SQLite and PostgreSQL: filter the tags in Python.
        ids = [pk async for pk, tags in query.values_list("pk", "tags") if filters.tag in tags]
        query = query.filter(pk__in=ids)
    if filters.ordering not in ORDERINGS:
        allowed = ", ".join(ORDERINGS)
        raise InvalidRequestError(
            f"invalid request: ordering: expected one of {allowed}",
            details=[{"field": "ordering", "message": f"expected one of {allowed}"}],
        )
    query = query.order_by(*ORDERINGS[filters.ordering])
    return await page_of(query, page=page, page_size=page_size)


async def get_saved(*, user, saved_id: int) -> SavedChoreography:
    saved = await _mine(user).filter(pk=saved_id).afirst()
    if saved is None:
        raise NotFoundError(f"no saved choreography {saved_id} among yours", stage="lookup")
    return saved


async def update_saved(*, user, saved_id: int, **fields) -> SavedChoreography:
    """Change the given fields (title, notes, tags) only."""
    saved = await get_saved(user=user, saved_id=saved_id)
    if "title" in fields:
        saved.title = _clean_title(fields["title"])
    if "notes" in fields:
        saved.notes = fields["notes"] or ""
    if "tags" in fields:
        saved.tags = _clean_tags(fields["tags"] or [])
    await saved.asave(update_fields=["title", "notes", "tags", "updated_at"])
    return saved


@sync_to_async
def _forget(task: ChoreographyTask) -> None:
    """Unsave and mark the task deleted, together (its video is already gone)."""
    with transaction.atomic():
        SavedChoreography.objects.filter(task_id=task.pk).delete()
        ChoreographyTask.objects.filter(pk=task.pk).update(
            **deleted_fields(task), updated_at=timezone.now()
        )


async def _delete_task(task: ChoreographyTask, storage: Storage) -> None:
    """Storage first, then the saved row, and the task is marked deleted (still an attempt in
    the history); refused by a receiver of ``choreography_deleting`` (a class plan uses it)
    before anything is deleted."""
    await choreography_deleting.asend(sender=SavedChoreography, task=task)
    key = (task.result or {}).get("video_key")
    if key:
        try:
            await storage.delete(key)
        except StorageError as exc:
            raise StorageDeleteError(
                "could not delete the video from storage; nothing was deleted",
                details=str(exc),
            ) from exc
    await _forget(task)


async def delete_saved(*, user, saved_id: int, storage: Storage) -> None:
    saved = await get_saved(user=user, saved_id=saved_id)
    await _delete_task(saved.task, storage)


async def delete_all(*, user, storage: Storage) -> int:
    """Delete every saved choreography of the user; stops at the first storage failure."""
    deleted = 0
    async for saved in _mine(user).order_by("created_at"):
        await _delete_task(saved.task, storage)
        deleted += 1
    return deleted


async def stats(*, user) -> dict:
    """Count, total minutes, and counts by difficulty, style and song title."""
    count = 0
    seconds = 0.0
    difficulty: Counter[str] = Counter()
    style: Counter[str] = Counter()
    song: Counter[str] = Counter()
    async for saved in _mine(user):
        task = saved.task
        count += 1
        seconds += float((task.result or {}).get("duration_seconds") or 0.0)
        params = task.parameters or {}
        difficulty[params.get("difficulty") or "unknown"] += 1
        style[params.get("style") or "any"] += 1
        song[task.song.title if task.song else "deleted song"] += 1
    return {
        "count": count,
        "total_minutes": round(seconds / 60, 2),
        "by_difficulty": dict(difficulty),
        "by_style": dict(style),
        "by_song": dict(song),
    }


# --- sharing ---------------------------------------------------------------------------------


async def share(*, user, saved_id: int, expires_in_days: float | None) -> SavedChoreography:
    """Give the item a new unguessable public token (the previous link stops working)."""
    saved = await get_saved(user=user, saved_id=saved_id)
    saved.share_token = secrets.token_urlsafe(24)
    saved.share_expires_at = (
        timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    )
    await saved.asave(update_fields=["share_token", "share_expires_at", "updated_at"])
    return saved


async def unshare(*, user, saved_id: int) -> None:
    saved = await get_saved(user=user, saved_id=saved_id)
    saved.share_token, saved.share_expires_at = "", None
    await saved.asave(update_fields=["share_token", "share_expires_at", "updated_at"])


async def shared(token: str) -> SavedChoreography:
    """The item shared under ``token``; NotFoundError when unknown, revoked or expired."""
    saved = (
        await SavedChoreography.objects.select_related("task", "task__song")
        .filter(share_token=token)
        .exclude(share_token="")
        .afirst()
        if token
        else None
    )
    if saved is None or (saved.share_expires_at and saved.share_expires_at <= timezone.now()):
        raise NotFoundError("this shared link does not exist or has expired", stage="lookup")
    return saved


def share_ref(saved: SavedChoreography) -> str:
    """Names one share of an item in the media links given under it: ``<id>.<fingerprint of
    the token>``. Re-sharing makes a new token, so links of an earlier share stay dead."""
    digest = hashlib.sha256(saved.share_token.encode()).hexdigest()[:16]
    return f"{saved.pk}.{digest}"


async def check_share_ref(ref: str) -> None:
    """Return while the share ``ref`` names is live; NotFoundError once it is revoked, replaced
    or expired (the media view refuses a shared video's link at once)."""
    saved_id, _, _ = ref.partition(".")
    saved = (
        await SavedChoreography.objects.filter(pk=int(saved_id)).exclude(share_token="").afirst()
        if saved_id.isascii() and saved_id.isdigit() and len(saved_id) <= 18
        else None
    )
    if (
        saved is None
        or not constant_time_compare(share_ref(saved), ref)
        or (saved.share_expires_at and saved.share_expires_at <= timezone.now())
    ):
        raise NotFoundError("this shared video is no longer shared", stage="media")
