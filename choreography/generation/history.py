"""Reading what was made: each user's completed choreographies."""

from __future__ import annotations

from choreography.errors import NotFoundError
from choreography.models import ChoreographyTask, TaskStatus


def _completed_videos(user):
    return (
        ChoreographyTask.objects.filter(user=user, status=TaskStatus.COMPLETED)
        .select_related("song")
        .order_by("-created_at", "-pk")
    )


async def list_videos(*, user, page: int, page_size: int) -> tuple[list[ChoreographyTask], int]:
    """The user's completed choreographies, newest first: (the page's rows, total count)."""
    query = _completed_videos(user)
    total = await query.acount()
    start = (page - 1) * page_size
    rows = [task async for task in query[start : start + page_size]] if start < total else []
    return rows, total


async def get_video(*, user, task_id) -> ChoreographyTask:
    """One of the user's completed choreographies; NotFoundError for anyone else's."""
    task = await _completed_videos(user).filter(pk=task_id).afirst()
    if task is None:
        raise NotFoundError(f"no video {task_id} among your choreographies", stage="lookup")
    return task
