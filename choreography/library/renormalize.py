"""Rebuilding canonical clips from the kept originals in another format (``manage.py renormalize``).

Safe to interrupt at any point. A move's new clip and stream are written under keys of their own
(the format is in the name), then the row switches to them in one UPDATE, then the old objects
are deleted: a row never points at a missing or half-written object. Each rebuilt row records the
format it was built in (``clip_format``), so a second run skips what the first one finished.
``rebuild_move`` is the one place a move's canonical media is remade; whatever else derives from
the clip is to be rebuilt or invalidated there. A move uploaded as filmed keeps its cut: it is
rebuilt from its analysis (start on count 1, whole 8-counts), not from the whole original.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from assembly import (
    ChoreoError,
    FFmpegCommandBuilder,
    MediaError,
    VideoFormat,
    work_dir,
)
from choreography.library.formats import store_canonical_clip
from choreography.library.uploaded_moves import analysis_key, load_analysis, store_cut
from choreography.library.variants import forget_variants, render_variant
from choreography.models import Move
from storage import Storage, StorageError

if TYPE_CHECKING:
    from choreography.runtime import Runtime

logger = logging.getLogger(__name__)

STAGE = "renormalizing"


def format_keys(move: Move, fmt: VideoFormat) -> tuple[str, str, str]:
    """Keys of ``move``'s clip, stream and poster in ``fmt``: a re-run after an interruption
    overwrites its own unfinished upload instead of leaving another orphan."""
    stem = f"{move.content_hash[:24]}-{re.sub(r'[^a-z0-9]+', '-', fmt.label.lower())}"
    return (
        f"library/clips/{stem}.mp4",
        f"library/streams/{stem}.h264",
        f"library/posters/{stem}.jpg",
    )


async def rebuild_move(move: Move, fmt: VideoFormat, *, runtime: Runtime) -> bool:
    """Rebuild ``move``'s canonical clip and elementary stream from its original in ``fmt``.

    Returns False (and does nothing) when the move is already in ``fmt``. MediaError when the
    move has no original, the original cannot be decoded, or the row changed meanwhile;
    StorageError when the store fails. On success ``move`` holds the new values.
    """
    if move.clip_format == fmt.label:
        return False
    if not move.original_key:
        raise MediaError(f"move {move.name!r} has no original: re-import it", stage=STAGE)
    storage = runtime.storage
    builder = FFmpegCommandBuilder(runtime.config.ffmpeg, runtime.config.ffprobe)
    fields = await _rebuild_cut(move, fmt, runtime=runtime)
    if fields is not None:
        new_keys = (fields["clip_key"], fields["stream_key"], fields["poster_key"])
    else:
        new_keys = format_keys(move, fmt)
        async with work_dir(runtime.work_root, "renormalize-") as work:
            source = await storage.local_path(move.original_key)
            if source is None:
                source = work / f"original{Path(move.original_key).suffix}"
                await storage.download(move.original_key, source)
            fields = await store_canonical_clip(
                source, work, fmt, builder, storage, new_keys, stage=STAGE
            )
    old = {move.clip_key, move.stream_key, move.poster_key} - {*new_keys, move.original_key, ""}
    # Tempo variants are re-timed copies of the clip in its format: those of the old clip go
    # before the switch (a generation meanwhile re-renders from the old clip, consistently) and
    # again after it (in case one was rendered in between); then the same tempos are rendered
    # from the new clip.
    steps = [step async for step in move.variants.values_list("step", flat=True)]
    await forget_variants(move, storage=storage)
    switched = await Move.objects.filter(
        pk=move.pk, clip_key=move.clip_key, stream_key=move.stream_key
    ).aupdate(**fields)
    if not switched:  # deleted or rebuilt by someone else meanwhile: ours are orphans
        await _delete_quietly(set(new_keys), storage)
        raise MediaError(f"move {move.name!r} changed while it was rebuilt", stage=STAGE)
    for name, value in fields.items():
        setattr(move, name, value)
    await forget_variants(move, storage=storage)
    await _delete_quietly(old, storage)
    for step in steps:
        await render_variant(move, step, fmt, runtime=runtime)
    return True


async def _rebuild_cut(move: Move, fmt: VideoFormat, *, runtime: Runtime) -> dict | None:
    """The row's new fields when ``move`` was uploaded as filmed and cut (its cut made again
    in ``fmt`` from the kept original); None for an imported move."""
    if not move.content_hash:
        return None
    if not await runtime.storage.exists(analysis_key(move.content_hash)):
        return None
    analysis = await load_analysis(move.content_hash, runtime=runtime)
    if analysis.cut is None:
        return None
    return await store_cut(analysis, analysis.cut, fmt=fmt, runtime=runtime)


async def _delete_quietly(keys: set[str], storage: Storage) -> None:
    """Delete objects no row points at; a failure only leaves an orphan, logged."""
    for key in sorted(keys):
        try:
            await storage.delete(key)
        except StorageError as exc:
            logger.warning("could not delete %s: %s", key, exc)


@dataclass(frozen=True)
class Outcome:
    name: str
    status: Literal["rebuilt", "current", "failed"]
    detail: str = ""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    without_original: list[str] = field(default_factory=list)
    """Moves not in the target format that have no original to rebuild from."""

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


async def renormalize_library(
    fmt: VideoFormat,
    *,
    runtime: Runtime,
    on_event: Callable[[Outcome, int, int], None] | None = None,
) -> Report:
    """Rebuild every move not yet in ``fmt``, one after another; a failure is recorded and the
    run goes on. ``on_event(outcome, done, total)`` after each move."""
    report = Report()
    todo = []
    async for move in Move.objects.order_by("id"):
        if move.original_key or move.clip_format == fmt.label:
            todo.append(move)
        else:
            report.without_original.append(move.name)
    for done, move in enumerate(todo, 1):
        try:
            rebuilt = await rebuild_move(move, fmt, runtime=runtime)
            outcome = Outcome(move.name, "rebuilt" if rebuilt else "current")
        except (ChoreoError, StorageError) as exc:
            detail = getattr(exc, "message", None) or str(exc)
            outcome = Outcome(move.name, "failed", detail)
            logger.warning("renormalize %s failed: %s", move.name, detail)
        report.outcomes.append(outcome)
        if on_event is not None:
            on_event(outcome, done, len(todo))
    return report
