"""Reading what was made: each user's completed choreographies and every attempt.

A video its owner deleted leaves its row as an attempt that says so (``deleted_fields``):
the history keeps showing it, with Try again, and it is no longer a video.
"""

from __future__ import annotations

from django.db.models import Q

from choreography.errors import NotFoundError
from choreography.models import ChoreographyTask, TaskStatus
from choreography.music.vocabulary import DEFAULT_DIFFICULTY, DEFAULT_ENERGY_LEVEL
from choreography.paging import page_of


def _completed_videos(user):
    return (
        ChoreographyTask.objects.filter(user=user, status=TaskStatus.COMPLETED)
        .select_related("song")
        .order_by("-created_at", "-pk")
    )


async def list_videos(*, user, page: int, page_size: int) -> tuple[list[ChoreographyTask], int]:
    """The user's completed choreographies, newest first: (the page's rows, total count)."""
    return await page_of(_completed_videos(user), page=page, page_size=page_size)


async def get_video(*, user, task_id) -> ChoreographyTask:
    """One of the user's completed choreographies; NotFoundError for anyone else's."""
    task = await _completed_videos(user).filter(pk=task_id).afirst()
    if task is None:
        raise NotFoundError(f"no video {task_id} among your choreographies", stage="lookup")
    return task


CANCELLED_BY_CLIENT = "client disconnected"
STOPPED_BY_SERVER = ("server shutting down", "interrupted")
DELETED_BY_OWNER = "deleted by its owner"
OUTCOMES = ("completed", "failed", "cancelled", "running", "deleted")


def deleted_fields(task: ChoreographyTask) -> dict:
    """The row's fields once its owner deleted its video (storage first, by the caller): no
    longer a completed video (not listed, not counted in the quota), an attempt that says it
    was deleted and keeps its parameters, so it can be tried again."""
    kept = {k: v for k, v in (task.result or {}).items() if k not in ("video_key", "size_bytes")}
    return {
        "status": TaskStatus.FAILED,
        "stage": "deleted",
        "message": "you deleted this video",
        "error": DELETED_BY_OWNER,
        "result": kept,
    }


def outcome(task: ChoreographyTask) -> tuple[str, str]:
    """(completed | failed | cancelled | running, what happened in words)."""
    if task.status == TaskStatus.COMPLETED:
        return "completed", "video ready"
    if task.status == TaskStatus.RUNNING:
        return "running", task.message or "in progress"
    error = task.error or ""
    if error == DELETED_BY_OWNER:
        return "deleted", "you deleted this video"
    if error.startswith(CANCELLED_BY_CLIENT):
        return "cancelled", "you cancelled"
    if error.startswith(STOPPED_BY_SERVER):
        return "cancelled", "the server stopped"
    return "failed", error or "failed"


def _cancelled() -> Q:
    q = Q(error__startswith=CANCELLED_BY_CLIENT)
    for prefix in STOPPED_BY_SERVER:
        q |= Q(error__startswith=prefix)
    return q


async def list_attempts(
    *, user, status: str | None, page: int, page_size: int
) -> tuple[list[ChoreographyTask], int]:
    """Every generation attempt of the user, newest first, optionally of one outcome."""
    query = (
        ChoreographyTask.objects.filter(user=user)
        .select_related("song")
        .defer("result")
        .order_by("-created_at", "-pk")
    )
    failed = Q(status=TaskStatus.FAILED)
    deleted = Q(error=DELETED_BY_OWNER)
    if status == "completed":
        query = query.filter(status=TaskStatus.COMPLETED)
    elif status == "running":
        query = query.filter(status=TaskStatus.RUNNING)
    elif status == "cancelled":
        query = query.filter(failed & _cancelled())
    elif status == "deleted":
        query = query.filter(failed & deleted)
    elif status == "failed":
        query = query.filter(failed).exclude(_cancelled()).exclude(deleted)
    return await page_of(query, page=page, page_size=page_size)


async def retry_parameters(*, user, task_id) -> dict:
    """The song, parameters and seed of one of the user's attempts, to generate it again."""
    task = await ChoreographyTask.objects.filter(user=user, pk=task_id).afirst()
    if task is None:
        raise NotFoundError(f"no generation {task_id} among yours", stage="lookup")
    params = task.parameters or {}
    song_id = task.song_id or params.get("song_id")
    if not song_id:
        raise NotFoundError("the song of this generation was deleted", stage="lookup")
    return {
        "song_id": song_id,
        "difficulty": params.get("difficulty", DEFAULT_DIFFICULTY),
        "energy_level": params.get("energy_level", DEFAULT_ENERGY_LEVEL),
        "style": params.get("style"),
        "seed": params.get("seed"),
        "start_seconds": params.get("start_seconds"),
        "end_seconds": params.get("end_seconds"),
        "library": params.get("library", "public"),
        "studio_id": params.get("studio_id"),
        "allow_repeats": bool(params.get("allow_repeats", False)),
    }
