"""The generate use case: every step recorded on the task row.

A generation is split in three so the HTTP layer can answer errors with their own status before
it commits to a response: ``prepare_generation`` checks what can be checked at once (song,
library, FFmpeg); ``admit`` reserves a place in this process's queue and claims the task row
under the user's cap, which the database enforces across processes and machines; and
``run_generation`` waits for an assembly slot, plans, assembles, and reports progress. Whatever
stops a run (an error, a client that went away, a shutdown) is recorded on the row with the
stage it stopped in.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from assembly import ChoreoError, VideoAssemblyService, finish
from choreography.errors import (
    ClientDisconnectedError,
    InvalidRequestError,
    NotFoundError,
    ShuttingDownError,
    TooManyGenerationsError,
)
from choreography.generation.admission import Ticket
from choreography.generation.leases import live_rows
from choreography.generation.reservations import check_room, estimate_bytes
from choreography.generation.selectors import clip_hints, poster_key, variant_hints
from choreography.generation.signals import generation_requested, video_completed
from choreography.library.formats import joinable
from choreography.library.options import move_option, song_facts
from choreography.library.variants import ensure_variants, needed_for_plan
from choreography.logcontext import task_id_var, user_var
from choreography.models import ChoreographyTask, Move, Song, TaskStatus
from choreography.music.generator import Parameters, plan_choreography
from choreography.music.section import Section, section_facts, snap_section
from choreography.music.vocabulary import BEATS_PER_PHRASE
from choreography.observability.metrics import StageClock, generation_failed, note_refusal
from choreography.runtime import Runtime
from choreography.studios.services import Library, generation_library

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
        self.clock = StageClock()

    async def __call__(self, stage: str, percent: int, message: str) -> None:
        changed = stage != self.stage
        self.clock.enter(stage)
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
    song: Song
    moves: list[Move]
    params: Parameters
    assembler: VideoAssemblyService
    runtime: Runtime
    """The runtime it runs in: its queue, storage, variants and format."""
    section: Section | None = None
    """The part of the song asked for, on phrase boundaries (None: the whole song)."""
    library: str = "public"
    studio_id: int | None = None
    preferred: frozenset[int] = frozenset()
    """Ids of the moves chosen first: the studio's, with library "both"."""

    @property
    def parameters(self) -> dict:
        """What the task row records (and the API echoes) of the request."""
        recorded = {
            "song_id": self.song.pk,
            "difficulty": self.params.difficulty,
            "energy_level": self.params.energy_level,
            "style": self.params.style,
            "seed": self.params.seed,
            **({"allow_repeats": True} if self.params.allow_repeats else {}),
            **(
                {"library": self.library, "studio_id": self.studio_id}
                if self.library != "public"
                else {}
            ),
        }
        if self.section is not None:
            recorded.update(start_seconds=self.section.start, end_seconds=self.section.end)
        return recorded


@dataclass
class Admission:
    """A place in this process's queue and a claimed task row (status running, stage queued)."""

    ticket: Ticket
    task: ChoreographyTask
    outcome: asyncio.Future
    """Gets the finished row or the error; an idempotent retry in this process awaits it."""
    runtime: Runtime
    """The runtime whose queue admitted it."""


async def prepare_generation(
    *,
    runtime: Runtime,
    user,
    song_id: int,
    difficulty: str,
    energy_level: str,
    style: str | None,
    seed: int | None,
    allow_repeats: bool = False,
    start_seconds: float | None = None,
    end_seconds: float | None = None,
    duration_seconds: float | None = None,
    library: Library = "public",
    studio_id: int | None = None,
) -> GenerationJob:
    """Check the song, the section, the disk floor, the library and FFmpeg; NotFoundError or
    ChoreoError before any row exists (InvalidRequestError for a section the song does not have).

    ``library`` "studio" or "both" draws on the ready moves of ``studio_id``, a studio the user
    teaches or joined (else NotFoundError); "both" prefers them to the public library's.
    """
    song = await Song.objects.filter(pk=song_id).afirst()
    if song is None:
        raise NotFoundError(f"song {song_id} does not exist", stage="lookup")
    try:
        section = snap_section(
            song_facts(song),
            start_seconds=start_seconds,
            end_seconds=end_seconds,
            duration_seconds=duration_seconds,
        )
    except ValueError as exc:
        raise InvalidRequestError(
            f"the section asked for is not in {song.title!r}",
            details=str(exc),
        ) from None
    try:
        await runtime.ensure_free_disk(action="generation")
    except ChoreoError as exc:
        note_refusal(exc)
        raise
    await generation_requested.asend(sender=ChoreographyTask, user=user)
    # Only clips of the configured size and rate join by stream copy (library/formats.py).
    fmt = runtime.video_format
    chosen = await generation_library(
        user=user, library=library, studio_id=studio_id, base=Move.objects.filter(joinable(fmt))
    )
    moves = chosen.moves
    if not moves:
        if await Move.objects.aexists():
            raise ChoreoError(
                f"no move of the library is in the configured format {fmt.frame}",
                stage="planning",
                details="set CHOREO_VIDEO_SIZE and CHOREO_VIDEO_FPS to the library's format, "
                "or run manage.py renormalize",
            )
        raise ChoreoError("the move library is empty", stage="planning")
    seed = seed if seed is not None else secrets.randbelow(2**31)
    assembler = runtime.assembler  # fails fast if FFmpeg is missing
    return GenerationJob(
        user,
        song,
        moves,
        Parameters(difficulty, energy_level, style, seed, allow_repeats=allow_repeats),
        assembler,
        runtime,
        section,
        library=library,
        studio_id=studio_id if library != "public" else None,
        preferred=chosen.preferred,
    )


IDEMPOTENCY_WINDOW = dt.timedelta(hours=24)


class DuplicateRequest(Exception):
    """Another request with the same Idempotency-Key claimed its row first."""


async def find_by_idempotency_key(*, user, key: str) -> ChoreographyTask | None:
    """The user's task made under ``key`` within 24 h and not failed, else None.

    An older or failed one gives its key up (the retry may render anew: nothing was made).
    """
    task = (
        await ChoreographyTask.objects.select_related("song")
        .filter(user=user, idempotency_key=key)
        .afirst()
    )
    if task is None:
        return None
    if task.status == TaskStatus.FAILED or task.created_at < timezone.now() - IDEMPOTENCY_WINDOW:
        await ChoreographyTask.objects.filter(pk=task.pk).aupdate(idempotency_key="")
        return None
    return task


async def admit(job: GenerationJob, *, idempotency_key: str = "") -> Admission:
    """Reserve a place in the queue (503 when full) and claim a task row under the user's cap
    (429 when the user already runs CHOREO_MAX_PER_USER anywhere) and quota (409 when the
    video's estimated size does not fit beside their videos and running reservations).

    Cancellation-safe: a cancel that lands while the row is inserted in its worker thread still
    marks that row failed (its id is chosen here; the UPDATE queues behind the INSERT).
    """
    current = job.runtime
    ticket = current.gate.reserve()
    task_id = uuid.uuid4()
    estimate = estimate_bytes(
        duration_s=job.song.duration_seconds,
        moves=job.moves,
        video=current.video_format,
        audio=current.audio_format,
    )
    try:
        task = await _claim_row(
            ChoreographyTask(
                id=task_id,
                user=job.user,
                song=job.song,
                parameters=job.parameters,
                stage="queued",
                progress=0,
                message="waiting for a free generation slot",
                owner=current.instance_id,
                heartbeat_at=timezone.now(),
                idempotency_key=idempotency_key,
                reserved_bytes=estimate,
            ),
            cap=current.config.max_per_user,
            lease_s=current.config.lease_s,
            retry_after=current.gate.retry_after(),
        )
    except BaseException as exc:
        ticket.release()
        note_refusal(exc)  # the user's cap or quota
        if isinstance(exc, asyncio.CancelledError):
            await finish(_fail(task_id, ClientDisconnectedError(DISCONNECTED, stage="queued")))
        raise
    return Admission(ticket, task, current.announce(task.pk), current)


@sync_to_async
def _claim_row(
    task: ChoreographyTask, *, cap: int, lease_s: float, retry_after: int
) -> ChoreographyTask:
    """Insert ``task`` unless its user already has ``cap`` live generations or its
    ``reserved_bytes`` do not fit in their quota, atomically.

    The user's row is locked (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the IMMEDIATE
    transaction takes the write lock), so two workers cannot both see room for one more.
    """
    with transaction.atomic():
        list(get_user_model().objects.select_for_update().filter(pk=task.user_id).values("pk"))
        if (
            task.idempotency_key
            and ChoreographyTask.objects.filter(
                user_id=task.user_id, idempotency_key=task.idempotency_key
            ).exists()
        ):
            raise DuplicateRequest(task.idempotency_key)
        running = live_rows(lease_s).filter(user_id=task.user_id).count()
        if running >= cap:
            raise TooManyGenerationsError(
                f"you already have {running} generations in progress",
                details=f"at most {cap} per user at once (CHOREO_MAX_PER_USER); "
                "wait for one to finish",
                retry_after=retry_after,
            )
        check_room(task.user_id, estimate=task.reserved_bytes, lease_s=lease_s)
        task.save(force_insert=True)
    return task


async def run_generation(
    job: GenerationJob, admission: Admission, *, listener: ProgressListener | None = None
) -> ChoreographyTask:
    """Wait for a slot, plan and assemble; the completed row, or ChoreoError with its stage.

    Always releases the ticket. Cancellation (the client went away) marks the row failed with
    "client disconnected" and propagates; a shutdown marks it failed and raises
    ShuttingDownError instead, so the client still gets an answer.
    """
    ticket, task = admission.ticket, admission.task
    task_id = task.pk
    ticket.bind()
    progress: TaskProgress | None = None
    outcome = admission.outcome
    try:
        task_id_var.set(str(task.id))
        user_var.set(job.user.get_username())
        progress = TaskProgress(task.pk, listener)
        await progress("queued", 0, "waiting for a free generation slot")
        async with ticket.slot():
            await progress("planning", 0, "choosing the moves")
            done = await _generate(job, task, progress)
            await _announce_completed(done)
            _settle(outcome, done)
            return done
    except asyncio.CancelledError:
        reason = ticket.stop_reason or DISCONNECTED
        stage = progress.stage if progress and progress.stage else "queued"
        stopped = ClientDisconnectedError(reason, stage=stage)
        _settle(outcome, stopped)
        await finish(_fail(task_id, stopped))
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
        _settle(outcome, exc)
        await finish(_fail(task_id, exc))
        raise
    except Exception as exc:
        _settle(outcome, ChoreoError("internal error", details=type(exc).__name__))
        logger.exception("generation %s failed unexpectedly", task_id)
        await finish(_fail(task_id, ChoreoError(f"internal error: {exc}")))
        raise
    finally:
        ticket.release()
        admission.runtime.retire(task_id)
        _settle(outcome, None)  # stopped without a word: followers get a generic error


async def _generate(
    job: GenerationJob, task: ChoreographyTask, progress: TaskProgress
) -> ChoreographyTask:
    moves = job.moves
    song, section = song_facts(job.song), job.section
    plan = plan_choreography(
        task_id=str(task.id),
        song=song if section is None else section_facts(song, section),
        audio_start=0.0 if section is None else section.start,
        library=[move_option(m, preferred=m.pk in job.preferred) for m in moves],
        params=job.params,
        output_key=f"videos/{task.id}.mp4",
        fps=job.assembler.video_format.fps,
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
                "tempo_error_percent": round(100 * p.tempo_error, 3),
            }
            for p in plan.timeline
        ],
        "relaxed_filters": list(plan.relaxed_filters),
        "off_tempo_moves": list(plan.beyond_limit),
        "poster_key": poster_key([p.move for p in plan.timeline], moves),
        # The grid the timeline was planned on: what a player needs to show the counts.
        "bpm": round(BEATS_PER_PHRASE * 60.0 / plan.grid.phrase, 6),
        "first_beat_seconds": round(plan.grid.first_beat, 6),
        **(
            {"section": {"start_seconds": section.start, "end_seconds": section.end}}
            if section is not None
            else {}
        ),
    }
    await task.asave(update_fields=["result", "updated_at"])
    variants = await ensure_variants(
        needed_for_plan(plan.timeline, moves),
        runtime=job.runtime,
        on_progress=progress,
        timeout_s=job.assembler.timeout_s,
    )
    outcome = await job.assembler.assemble(
        plan.blueprint,
        on_progress=progress,
        clip_hints={**clip_hints(moves), **variant_hints(moves, variants)},
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
    task.reserved_bytes = 0  # the real size (result.size_bytes) counts from now on
    try:
        await task.asave(
            update_fields=[
                *("result", "status", "stage", "progress", "message"),
                *("reserved_bytes", "updated_at"),
            ]
        )
    except BaseException:
        # The row will say failed: its video must not stay behind in storage.
        await finish(job.assembler.storage.delete(outcome.output_key))
        raise
    return task


async def _announce_completed(task: ChoreographyTask) -> None:
    """Tell the features above that the video is done (collections auto-saves it); a receiver
    that fails is logged, never turned into a failed generation (the video is made and listed
    in the history)."""
    for receiver, result in await video_completed.asend_robust(sender=ChoreographyTask, task=task):
        if isinstance(result, Exception):
            logger.error(
                "%s failed for the completed generation %s",
                getattr(receiver, "__qualname__", receiver),
                task.pk,
                exc_info=result,
            )


async def fail_unstarted(admission: Admission) -> None:
    """Mark failed the row of a run that was cancelled before its first step."""
    stopped = ClientDisconnectedError(DISCONNECTED, stage="queued")
    admission.runtime.retire(admission.task.pk)
    _settle(admission.outcome, stopped)
    await finish(_fail(admission.task.pk, stopped))


def _settle(outcome: asyncio.Future, value) -> None:
    """Tell followers how the run ended (first word wins)."""
    if not outcome.done():
        outcome.set_result(value)


async def _fail(task_id, exc: ChoreoError) -> None:
    """Mark the row failed with the error and the stage it stopped in (no-op if no row); its
    quota reservation goes with its running status."""
    generation_failed(exc)
    update = {
        "status": TaskStatus.FAILED,
        "reserved_bytes": 0,
        "error": exc.message[:2000],
        "error_details": str(exc.details)[:10000],
    }
    if exc.stage not in ("unknown", ""):
        update["stage"] = exc.stage
    await ChoreographyTask.objects.filter(pk=task_id).aupdate(**update)
