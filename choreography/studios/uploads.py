"""A studio's moves uploaded as filmed: the use cases behind the upload, the cut and the re-cut.

1. ``upload_move``: the instructor's file (already on disk, the caller's) is checked against the
   studio's quota (CHOREO_STUDIO_QUOTA_MB) and against what is already stored, analysed once
   (``choreography.library.uploaded_moves.analyse_upload``: probe, tempo, beat grid, proposed
   cut, posters) and recorded as a StudioMove in status "uploaded". Refused or cancelled, it
   leaves nothing behind.
2. ``edit_move``: labels as ever; a start and a length for an uploaded move save the cut, which
   runs in the background (``Runtime.spawn``): status "cutting", then "ready" as soon as the
   canonical clip exists (generate may use it), its tempo variants rendered after that. A new
   start or length on a ready move re-cuts it from the kept original, without a new upload.
3. ``preview``: the proposed or adjusted cut with a click track, rendered on demand.
4. ``remove_move``: as slice A's, plus what the upload kept (original, posters, previews).

No HTTP here: choreography.studios.api calls these.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from asgiref.sync import sync_to_async
from django.db import transaction

from assembly import ChoreoError, MediaError, finish
from choreography.errors import ConflictError, PayloadTooLargeError
from choreography.library.uploaded_moves import (
    Cut,
    MoveLabels,
    UploadAnalysis,
    analyse_upload,
    check_cut,
    cut_and_normalize,
    discard_upload,
    load_analysis,
    preview_cut,
    recut_move,
    uploads_prefix,
    warm_move,
)
from choreography.models import Move
from choreography.music.catalog import slugify
from choreography.studios import services
from choreography.studios.models import Studio, StudioMove, StudioMoveStatus

if TYPE_CHECKING:
    from choreography.runtime import Runtime

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, str], Awaitable[None]]
STAGE = "studios"
MB = 1024 * 1024
LABEL_FIELDS = ("label", "difficulty", "energy_level", "style", "role")


# Quota ------------------------------------------------------------------------------------


async def studio_usage(studio: Studio) -> int:
    """Bytes the studio stores: its originals and canonical clips."""
    total = 0
    async for original, clip in StudioMove.objects.filter(studio=studio).values_list(
        "original_bytes", "clip_bytes"
    ):
        total += original + clip
    return total


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


async def check_quota(studio: Studio, incoming: int, *, runtime: Runtime) -> None:
    """PayloadTooLargeError (413), saying how much is left, when ``incoming`` bytes more would
    pass the studio's CHOREO_STUDIO_QUOTA_MB."""
    quota = runtime.config.studio_quota_mb * MB
    used = await studio_usage(studio)
    if used + incoming > quota:
        left = max(0, quota - used)
        raise PayloadTooLargeError(
            f"the studio {studio.name!r} has {_mb(left)} left of its {_mb(quota)} of storage, "
            f"and this file has {_mb(incoming)}",
            details="delete moves the studio no longer teaches, or ask staff for a larger "
            "quota (CHOREO_STUDIO_QUOTA_MB)",
            stage="quota",
        )


# Upload -----------------------------------------------------------------------------------


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


async def _refuse_duplicate(studio: Studio, content_hash: str, name: str) -> None:
    """ConflictError when this very file is already stored (its analysis and original live
    under its hash, so a second copy would share and later delete them)."""
    mine = await StudioMove.objects.filter(studio=studio, content_hash=content_hash).afirst()
    if mine is not None:
        raise ConflictError(
            f"{name} is already the move {mine.label!r} of this studio",
            details="change its cut or labels there instead of uploading it again",
            stage=STAGE,
        )
    stored = await StudioMove.objects.filter(content_hash=content_hash).aexists()
    if stored or await Move.objects.filter(content_hash=content_hash).aexists():
        raise ConflictError(
            f"{name} is already in a library on this server",
            details="upload your own recording of the move",
            stage=STAGE,
        )


async def upload_move(
    *,
    user,
    studio_id: int,
    path: Path,
    filename: str,
    typed_tempo: float | None = None,
    labels: dict[str, str] | None = None,
    progress: Progress | None = None,
    runtime: Runtime,
) -> tuple[StudioMove, UploadAnalysis]:
    """Analyse an uploaded clip for the studio the user teaches and record it ("uploaded").

    NotFoundError / PermissionDeniedError as for every instructor action; PayloadTooLargeError
    past the quota; ConflictError for a file already stored; PhoneInputError (a sentence) for
    a file that is not a usable move. ``path`` stays the caller's.
    """
    studio = await services._taught(user, studio_id)
    name = Path(filename).name or "the file"
    size = (await asyncio.to_thread(path.stat)).st_size
    await check_quota(studio, size, runtime=runtime)
    await _refuse_duplicate(studio, await asyncio.to_thread(_hash, path), name)
    analysis = await analyse_upload(
        path, filename=name, typed_tempo=typed_tempo, progress=progress, runtime=runtime
    )
    try:
        given = {k: v for k, v in (labels or {}).items() if k in LABEL_FIELDS and v}
        guessed = analysis.labels
        move = await StudioMove.objects.acreate(
            studio=studio,
            label=given.get("label") or guessed.label,
            difficulty=given.get("difficulty") or guessed.difficulty,
            energy_level=given.get("energy_level") or guessed.energy_level,
            style=given.get("style") or guessed.style,
            role=given.get("role") or guessed.role,
            start_seconds=analysis.proposed.start_seconds,
            counts=analysis.proposed.counts,
            tempo_bpm=analysis.tempo_bpm,
            status=StudioMoveStatus.UPLOADED,
            content_hash=analysis.content_hash,
            original_bytes=size,
        )
    except BaseException:
        await finish(discard_upload(analysis, runtime=runtime))
        raise
    return move, analysis


async def move_analysis(
    *, user, studio_id: int, move_id: int, runtime: Runtime
) -> tuple[StudioMove, UploadAnalysis]:
    """An uploaded move of the user's studio with its analysis (posters, beat grid)."""
    move = await services._own_move(user, studio_id, move_id)
    if not move.content_hash:
        raise ConflictError(f"the move {move.label!r} was not uploaded as filmed", stage=STAGE)
    return move, await load_analysis(move.content_hash, runtime=runtime)


# Cut, re-cut, preview ---------------------------------------------------------------------


async def edit_move(
    *, user, studio_id: int, move_id: int, runtime: Runtime, **fields
) -> StudioMove:
    """Labels (and, for a move not uploaded as filmed, the stored cut) as slice A's edit; for
    an uploaded move a start or length saves the cut: checked now (PhoneInputError when it
    does not fit in the clip), made in the background."""
    move = await services._own_move(user, studio_id, move_id)
    wanted = {k: v for k, v in fields.items() if k in ("start_seconds", "counts") and v is not None}
    if not move.content_hash or not wanted:
        return await services.edit_move(user=user, studio_id=studio_id, move_id=move_id, **fields)
    if move.status in (StudioMoveStatus.CUTTING, StudioMoveStatus.ANALYSING):
        raise ConflictError(
            f"the move {move.label!r} is being cut",
            details="wait until it is ready, then change its cut",
            stage=STAGE,
        )
    analysis = await load_analysis(move.content_hash, runtime=runtime)
    cut = Cut(
        start_seconds=wanted.get("start_seconds", move.start_seconds),
        counts=wanted.get("counts", move.counts),
    )
    check_cut(analysis, cut)
    unchanged = (cut.start_seconds, cut.counts) == (move.start_seconds, move.counts)
    labels = {k: v for k, v in fields.items() if k in LABEL_FIELDS and v is not None}
    if move.status == StudioMoveStatus.READY and unchanged:
        return await services.edit_move(user=user, studio_id=studio_id, move_id=move_id, **labels)
    await services.edit_move(user=user, studio_id=studio_id, move_id=move_id, **labels)
    claimable = (StudioMoveStatus.UPLOADED, StudioMoveStatus.READY, StudioMoveStatus.FAILED)
    claimed = await StudioMove.objects.filter(pk=move.pk, status__in=claimable).aupdate(
        start_seconds=cut.start_seconds,
        counts=cut.counts,
        status=StudioMoveStatus.CUTTING,
        failure="",
    )
    if not claimed:
        raise ConflictError(f"the move {move.label!r} is being cut", stage=STAGE)
    runtime.spawn(
        _make_cut(move.pk, analysis, cut, runtime=runtime), name=f"cut studio move {move.pk}"
    )
    return await StudioMove.objects.select_related("clip").aget(pk=move.pk)


async def _make_cut(move_id: int, analysis: UploadAnalysis, cut: Cut, *, runtime: Runtime) -> None:
    """The background half of saving a cut: the canonical clip (first cut or re-cut), "ready"
    as soon as it exists, then the tempo variants. A failure is recorded on the move as a
    sentence; an interruption (shutdown) too, so the instructor can save the cut again. It runs
    in ``runtime``, the one that spawned it (and cancels it when it closes)."""
    move = await StudioMove.objects.select_related("clip", "studio").aget(pk=move_id)
    try:
        if move.clip is None:
            labels = MoveLabels(
                name=slugify(f"studio-{move.studio_id}-{move.label}")[:90] or f"studio-{move_id}",
                label=move.label,
                difficulty=move.difficulty,
                energy_level=move.energy_level,
                style=move.style,
                role=move.role,
            )
            clip, _ = await cut_and_normalize(
                analysis, cut, labels=labels, warm=False, runtime=runtime
            )
        else:
            clip = await recut_move(move.clip, cut, warm=False, runtime=runtime)
        clip_bytes = await runtime.storage.size(clip.clip_key)
        await _ready(move_id, clip, clip_bytes)
    except asyncio.CancelledError:
        await finish(
            _failed(move_id, "the cut was interrupted (the server restarted): save it again")
        )
        raise
    except ChoreoError as exc:
        await _failed(move_id, exc.message)
        return
    except Exception:
        logger.exception("cutting studio move %s failed", move_id)
        await _failed(move_id, "the cut failed on the server: save it again")
        return
    try:
        await warm_move(clip, runtime=runtime)
    except Exception:  # generate renders what it needs itself
        logger.exception("tempo variants of studio move %s were not rendered ahead", move_id)


@sync_to_async
def _ready(move_id: int, clip: Move, clip_bytes: int) -> None:
    with transaction.atomic():
        StudioMove.objects.filter(pk=move_id).update(
            clip=clip, clip_bytes=clip_bytes, status=StudioMoveStatus.READY, failure=""
        )


async def _failed(move_id: int, reason: str) -> None:
    await StudioMove.objects.filter(pk=move_id).aupdate(
        status=StudioMoveStatus.FAILED, failure=reason[:500]
    )


async def preview(
    *, user, studio_id: int, move_id: int, start_seconds: float, counts: int, runtime: Runtime
) -> str:
    """The storage key of a small MP4 of this cut with a click track (made once per cut)."""
    _, analysis = await move_analysis(
        user=user, studio_id=studio_id, move_id=move_id, runtime=runtime
    )
    cut = Cut(start_seconds=start_seconds, counts=counts)
    return await preview_cut(analysis, cut, runtime=runtime)


# Delete -----------------------------------------------------------------------------------


async def remove_move(*, user, studio_id: int, move_id: int, runtime: Runtime) -> None:
    """slice A's delete (refused while choreographies use it), then what the upload kept."""
    move = await services._own_move(user, studio_id, move_id)
    if move.status == StudioMoveStatus.CUTTING:
        raise ConflictError(
            f"the move {move.label!r} is being cut", details="delete it once it is ready",
            stage=STAGE,
        )  # fmt: skip
    await services.remove_move(
        user=user, studio_id=studio_id, move_id=move_id, storage=runtime.storage
    )
    if move.content_hash:
        try:
            analysis = await load_analysis(move.content_hash, runtime=runtime)
        except MediaError:  # its analysis is gone already: what is left under its prefix
            storage = runtime.storage
            for key in await storage.list(uploads_prefix(move.content_hash)):
                await storage.delete(key)
        else:
            await discard_upload(analysis, runtime=runtime)
