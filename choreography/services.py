"""The generate use case: plan a blueprint, assemble it, record every step on the task row."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

from assembly.errors import ChoreoError
from choreography.errors import ClientDisconnectedError, NotFoundError
from choreography.generator import Parameters, plan_choreography
from choreography.logcontext import task_id_var, user_var
from choreography.models import ChoreographyTask, Move, Song, TaskStatus
from choreography.runtime import get_assembler
from choreography.schemas import GenerateRequest
from choreography.selectors import clip_hints, move_option, song_facts

logger = logging.getLogger(__name__)

PROGRESS_WRITE_INTERVAL_S = 0.5


class TaskProgress:
    """Writes stage/progress to the task row: every stage change, in-stage steps throttled."""

    def __init__(self, task_id) -> None:
        self.task_id = task_id
        self.stage = ""
        self.last_write = 0.0

    async def __call__(self, stage: str, percent: int, message: str) -> None:
        now = time.monotonic()
        if stage == self.stage and now - self.last_write < PROGRESS_WRITE_INTERVAL_S:
            return
        self.stage, self.last_write = stage, now
        await ChoreographyTask.objects.filter(pk=self.task_id).aupdate(
            stage=stage, progress=percent, message=message[:300]
        )


async def generate_choreography(*, user, request: GenerateRequest) -> ChoreographyTask:
    """Run one generation to completion; ChoreoError (with its stage) on failure."""
    song = await Song.objects.filter(pk=request.song_id).afirst()
    if song is None:
        raise NotFoundError(f"song {request.song_id} does not exist", stage="lookup")
    moves = [move async for move in Move.objects.all()]
    if not moves:
        raise ChoreoError("the move library is empty", stage="planning")
    seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
    parameters = {**request.model_dump(), "seed": seed}
    assembler = get_assembler()  # fails fast if FFmpeg is missing, before a task exists

    task = await ChoreographyTask.objects.acreate(
        user=user, song=song, parameters=parameters, stage="planning", progress=0
    )
    task_id_var.set(str(task.id))
    user_var.set(user.get_username())
    try:
        plan = plan_choreography(
            task_id=str(task.id),
            song=song_facts(song),
            library=[move_option(m) for m in moves],
            params=Parameters(request.difficulty, request.energy_level, request.style, seed),
            output_key=f"videos/{task.id}.mp4",
        )
        task.result = {
            "blueprint": plan.blueprint.model_dump(mode="json"),
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
        outcome = await assembler.assemble(
            plan.blueprint,
            on_progress=TaskProgress(task.pk),
            clip_hints=clip_hints(moves),
            audio_is_canonical=True,  # songs are stored as AAC/M4A at import
        )
    except asyncio.CancelledError:
        await asyncio.shield(_fail(task, ClientDisconnectedError("client disconnected")))
        raise
    except ChoreoError as exc:
        await _fail(task, exc)
        raise
    except Exception as exc:
        logger.exception("generation %s failed unexpectedly", task.pk)
        await _fail(task, ChoreoError(f"internal error: {exc}"))
        raise

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
    await task.asave(
        update_fields=["result", "status", "stage", "progress", "message", "updated_at"]
    )
    return task


async def _stage(task: ChoreographyTask) -> str:
    row = await ChoreographyTask.objects.filter(pk=task.pk).values_list("stage", flat=True).afirst()
    return row or task.stage


async def _fail(task: ChoreographyTask, exc: ChoreoError) -> None:
    stage = exc.stage if exc.stage not in ("unknown", "") else await _stage(task)
    await ChoreographyTask.objects.filter(pk=task.pk).aupdate(
        status=TaskStatus.FAILED,
        stage=stage,
        error=exc.message[:2000],
        error_details=str(exc.details)[:10000],
    )


async def list_songs() -> list[Song]:
    return [song async for song in Song.objects.all()]
