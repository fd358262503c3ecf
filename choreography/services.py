"""The generate use case and the task history: every step recorded on the task row.

A generation is split in two so the HTTP layer can answer errors with their own status before
it commits to a response: ``prepare_generation`` checks what can be checked at once (song,
library, FFmpeg), and ``run_generation`` waits for an admission slot, plans, assembles, and
reports progress. Whatever stops a run (an error, a client that went away, a shutdown) is
recorded on the row with the stage it stopped in.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from assembly import VideoAssemblyService
from assembly.errors import ChoreoError
from assembly.workdir import finish
from choreography.admission import Ticket
from choreography.errors import ClientDisconnectedError, NotFoundError, ShuttingDownError
from choreography.generator import Parameters, plan_choreography
from choreography.leases import INSTANCE_ID
from choreography.logcontext import task_id_var, user_var
from choreography.models import ChoreographyTask, Move, Song, TaskStatus
from choreography.runtime import get_assembler
from choreography.schemas import GenerateRequest
from choreography.selectors import clip_hints, move_option, song_facts

logger = logging.getLogger(__name__)

PROGRESS_WRITE_INTERVAL_S = 0.5
DISCONNECTED = "client disconnected"

ProgressListener = Callable[[dict], None]
"""Receives ``{"task_id", "stage", "progress", "message"}`` for every step; must not block."""


class TaskProgress:
    """Follows a run's stage/progress: tells the listener every step, and writes the row on
    every stage change and at most every PROGRESS_WRITE_INTERVAL_S within a stage."""

    def __init__(self, task_id, listener: ProgressListener | None = None) -> None:
        self.task_id = task_id
        self.listener = listener
        self.stage = ""
        self.progress = 0
        self.last_write = 0.0

    async def __call__(self, stage: str, percent: int, message: str) -> None:
        changed = stage != self.stage
        self.stage, self.progress = stage, max(self.progress, percent)
        if self.listener is not None:
            self.listener(
                {
                    "task_id": str(self.task_id),
                    "stage": stage,
                    "progress": self.progress,
                    "message": message,
                }
            )
        now = time.monotonic()
        if not changed and now - self.last_write < PROGRESS_WRITE_INTERVAL_S:
            return
        self.last_write = now
        await ChoreographyTask.objects.filter(pk=self.task_id).aupdate(
            stage=stage, progress=self.progress, message=message[:300]
        )


@dataclass
class GenerationJob:
    """A generate request that passed every check that needs no waiting."""

    user: object
    request: GenerateRequest
    song: Song
    moves: list[Move]
    seed: int
    assembler: VideoAssemblyService


async def prepare_generation(*, user, request: GenerateRequest) -> GenerationJob:
    """Check the song, the library and FFmpeg; NotFoundError/ChoreoError before any row exists."""
    song = await Song.objects.filter(pk=request.song_id).afirst()
    if song is None:
        raise NotFoundError(f"song {request.song_id} does not exist", stage="lookup")
    moves = [move async for move in Move.objects.all()]
    if not moves:
        raise ChoreoError("the move library is empty", stage="planning")
    seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
    assembler = get_assembler()  # fails fast if FFmpeg is missing
    return GenerationJob(user, request, song, moves, seed, assembler)


async def run_generation(
    job: GenerationJob, ticket: Ticket, *, listener: ProgressListener | None = None
) -> ChoreographyTask:
    """Wait for a slot, plan and assemble; the completed row, or ChoreoError with its stage.

    Always releases ``ticket``. Cancellation (the client went away) marks the row failed with
    "client disconnected" and propagates; a shutdown marks it failed and raises
    ShuttingDownError instead, so the client still gets an answer.
    """
    ticket.bind()
    progress: TaskProgress | None = None
    # The id is chosen here, not by the database: a cancellation that lands while the INSERT
    # runs in its worker thread still knows which row to mark (the UPDATE queues behind it).
    task_id = uuid.uuid4()
    try:
        task = await ChoreographyTask.objects.acreate(
            id=task_id,
            user=job.user,
            song=job.song,
            parameters={**job.request.model_dump(), "seed": job.seed},
            stage="queued",
            progress=0,
            message="waiting for a free generation slot",
            owner=INSTANCE_ID,
            heartbeat_at=timezone.now(),
        )
        task_id_var.set(str(task.id))
        user_var.set(job.user.get_username())
        progress = TaskProgress(task.pk, listener)
        await progress("queued", 0, "waiting for a free generation slot")
        async with ticket.slot():
            await progress("planning", 0, "choosing the moves")
            return await _generate(job, task, progress)
    except asyncio.CancelledError:
        reason = ticket.stop_reason or DISCONNECTED
        stage = progress.stage if progress and progress.stage else "queued"
        await finish(_fail(task_id, ClientDisconnectedError(reason, stage=stage)))
        if ticket.stop_reason is None:
            raise
        current = asyncio.current_task()
        if current is not None:
            current.uncancel()
        raise ShuttingDownError(
            "the server is shutting down; the generation was stopped",
            details="try again in a moment",
            retry_after=5,
            stage=stage,
        ) from None
    except ChoreoError as exc:
        await finish(_fail(task_id, exc))
        raise
    except Exception as exc:
        logger.exception("generation %s failed unexpectedly", task_id)
        await finish(_fail(task_id, ChoreoError(f"internal error: {exc}")))
        raise
    finally:
        ticket.release()


async def _generate(
    job: GenerationJob, task: ChoreographyTask, progress: TaskProgress
) -> ChoreographyTask:
    request, moves = job.request, job.moves
    plan = plan_choreography(
        task_id=str(task.id),
        song=song_facts(job.song),
        library=[move_option(m) for m in moves],
        params=Parameters(request.difficulty, request.energy_level, request.style, job.seed),
        output_key=f"videos/{task.id}.mp4",
    )
    task.result = {
        # exclude_none: the seed-format fields the generator does not set are not stored as null.
        "blueprint": plan.blueprint.model_dump(mode="json", exclude_none=True),
        "timeline": [
            {
                "name": p.move.name,
                "label": p.move.label,
                "start_time": p.start_time,
                "duration": p.duration,
                "difficulty": p.move.difficulty,
                "energy_level": p.move.energy_level,
                "style": p.move.style,
            }
            for p in plan.timeline
        ],
        "relaxed_filters": list(plan.relaxed_filters),
    }
    await task.asave(update_fields=["result", "updated_at"])
    outcome = await job.assembler.assemble(
        plan.blueprint,
        on_progress=progress,
        clip_hints=clip_hints(moves),
        audio_is_canonical=True,  # songs are stored as AAC/M4A at import
    )

    task.result = {
        **task.result,
        "video_key": outcome.output_key,
        "duration_seconds": outcome.duration_seconds,
        "frames": outcome.frames,
        "size_bytes": outcome.size_bytes,
        "stage_seconds": outcome.stage_seconds,
    }
    task.status, task.stage, task.progress, task.message = (
        TaskStatus.COMPLETED,
        "completed",
        100,
        "video ready",
    )
    try:
        await task.asave(
            update_fields=["result", "status", "stage", "progress", "message", "updated_at"]
        )
    except BaseException:
        # The row will say failed: its video must not stay behind in storage.
        await finish(job.assembler.storage.delete(outcome.output_key))
        raise
    return task


async def _fail(task_id, exc: ChoreoError) -> None:
    """Mark the row failed with the error and the stage it stopped in (no-op if no row)."""
    update = {
        "status": TaskStatus.FAILED,
        "error": exc.message[:2000],
        "error_details": str(exc.details)[:10000],
    }
    if exc.stage not in ("unknown", ""):
        update["stage"] = exc.stage
    await ChoreographyTask.objects.filter(pk=task_id).aupdate(**update)


async def list_songs() -> list[Song]:
    return [song async for song in Song.objects.all()]


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
