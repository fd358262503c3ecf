"""Tempo variants of the library's clips: rendered once, stored beside the clip, reused.

When (measured in the README): a song import warms every variant a plan of the song may play,
for any parameters and seed (``needed_for_song``); ``manage.py warm_variants`` does it for the
whole library; a generate request renders only the variants still missing (a song imported
without warming, or while the server's background warm-up still runs: the song's API says
``variants_ready``), in its own generation slot, before the assembly. With a warm song a
request encodes nothing.

Every function takes the runtime it works in (``runtime=``): its storage, work dir, format and
single flight.

Each (move, step) renders once per process (``Runtime.renders``, a SingleFlight bounded by
CHOREO_MAX_CONCURRENT_ASSEMBLIES encodes); across processes the (move, step) unique constraint
decides. Every render uploads under a fresh key, so a process that loses the race deletes only
its own object and takes the winner's row. A render that fails or is cancelled leaves no row
and no object behind (and its work dir goes with it).
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from django.db import IntegrityError

from assembly import (
    AssemblyTimeoutError,
    ChoreoError,
    FFmpegCommandBuilder,
    VideoFormat,
    finish,
    gather_or_cancel,
    retime_clip,
    work_dir,
)
from choreography.library.options import move_option, song_facts
from choreography.models import Move, MoveVariant, Song
from choreography.music.coverage import steps_for_song
from choreography.music.generator import PlannedMove
from choreography.music.tempo import (
    HELD_FRAMES,
    retimed_frames,
    step_label,
    variant_frames,
)
from choreography.observability.metrics import variant_lookups, variant_rendered
from storage import Storage, StorageError

if TYPE_CHECKING:
    from choreography.runtime import Runtime

logger = logging.getLogger(__name__)

STAGE = "retiming"

Progress = Callable[[str, int, str], Awaitable[None]]


def needed_for_plan(
    timeline: Iterable[PlannedMove], moves: Sequence[Move]
) -> list[tuple[Move, int]]:
    """The (move, step) variants a planned timeline plays (step 0 is the clip itself)."""
    by_name = {move.name: move for move in moves}
    wanted = {(p.move.name, p.tempo.step): None for p in timeline if p.tempo and p.tempo.step != 0}
    return [(by_name[name], step) for name, step in wanted]


def needed_for_song(song: Song, moves: Sequence[Move], *, fps: int) -> list[tuple[Move, int]]:
    """Every variant a plan of ``song`` (or of a section of it) may play, whatever the
    parameters and seed: for each move, the variant of every slot it can fill (whole phrases,
    the intro's and the tail's pieces, merged slivers: ``slot_frames``). Moves beyond the
    re-timing limit too (played when a pool has nothing else). ``fps``: the video rate.

    About one variant per move (README, Tempo variants); named by step, so a song reuses those
    another song needed at the same frame count."""
    by_name = {move.name: move for move in moves}
    steps = steps_for_song(song_facts(song), [move_option(m) for m in moves], fps)
    return [(by_name[name], step) for name, found in steps.items() for step in found]


async def missing_for_song(song: Song, *, fps: int) -> int:
    """How many variants ``song`` may play are not stored yet (0: every generate on it is a
    pure copy, whatever its parameters and seed)."""
    moves = [move async for move in Move.objects.all()]
    needed = needed_for_song(song, moves, fps=fps)
    stored = {
        (v["move_id"], v["step"]): v["frames"]
        async for v in MoveVariant.objects.filter(move_id__in={m.pk for m, _ in needed}).values(
            "move_id", "step", "frames"
        )
    }
    return sum(
        1
        for move, step in needed
        if stored.get((move.pk, step)) != variant_frames(move.frames, step)
    )


async def ensure_variants(
    needed: Sequence[tuple[Move, int]],
    *,
    runtime: Runtime,
    on_progress: Progress | None = None,
    timeout_s: float | None = None,
) -> dict[tuple[int, int], MoveVariant]:
    """The stored variant of every (move, step), rendering the missing ones (and only those)
    within ``timeout_s`` (AssemblyTimeoutError, stage "retiming")."""
    expected = {(move.pk, step): variant_frames(move.frames, step) for move, step in needed}
    rows = {
        (v.move_id, v.step): v
        async for v in MoveVariant.objects.filter(
            move_id__in={pk for pk, _ in expected}, step__in={step for _, step in expected}
        )
        if expected.get((v.move_id, v.step)) == v.frames  # else stored by an older grid
    }
    missing = list({(m.pk, s): (m, s) for m, s in needed if (m.pk, s) not in rows}.values())
    variant_lookups(hits=len(rows), misses=len(missing), in_request=on_progress is not None)
    if not missing:
        return rows
    renders = runtime.renders
    done = 0
    if on_progress is not None:
        await on_progress(STAGE, 5, f"re-timing {len(missing)} moves to the song's tempo")

    async def one(move: Move, step: int) -> None:
        nonlocal done
        rows[move.pk, step] = await renders.run(
            ("variant", move.pk, step), lambda: _stored_or_render(move, step, runtime=runtime)
        )
        done += 1
        if on_progress is not None:
            percent = 5 + 14 * done // len(missing)
            await on_progress(STAGE, percent, f"re-timed {done}/{len(missing)} moves")

    try:
        async with asyncio.timeout(timeout_s):
            await gather_or_cancel(one(move, step) for move, step in missing)
    except TimeoutError:
        raise AssemblyTimeoutError(
            f"re-timing the moves timed out after {timeout_s:g} s", stage=STAGE
        ) from None
    return rows


async def warm_song(
    song: Song,
    moves: Sequence[Move] | None = None,
    *,
    runtime: Runtime,
    shuffled: bool = False,
) -> int:
    """Render the variants ``song`` needs that are not stored yet; how many were rendered.

    ``shuffled``: in a random order, so several server processes warming at once mostly render
    different variants (each checks for a stored one first; the unique row settles a tie)."""
    if moves is None:
        moves = [move async for move in Move.objects.all()]
    needed = needed_for_song(song, moves, fps=runtime.video_format.fps)
    if shuffled:
        random.shuffle(needed)
    before = await MoveVariant.objects.acount()
    await ensure_variants(needed, runtime=runtime)
    rendered = await MoveVariant.objects.acount() - before
    logger.info("%s: %d tempo variants rendered (%d needed)", song, rendered, len(needed))
    return rendered


async def warm_library(*, runtime: Runtime, shuffled: bool = False) -> int:
    """Render every variant the library's songs need (``shuffled``: see warm_song); how many
    were rendered."""
    moves = [move async for move in Move.objects.all()]
    rendered = 0
    async for song in Song.objects.all():
        rendered += await warm_song(song, moves, runtime=runtime, shuffled=shuffled)
    return rendered


async def forget_variants(move: Move, *, storage: Storage) -> int:
    """Delete the move's variants, rows first, then objects (for a clip that changed: they
    are rendered again when next needed); how many."""
    keys = [key async for key in move.variants.values_list("stream_key", flat=True)]
    await MoveVariant.objects.filter(move=move).adelete()
    for key in keys:
        await _discard(key, storage)
    return len(keys)


async def _stored_or_render(move: Move, step: int, *, runtime: Runtime) -> MoveVariant:
    existing = await MoveVariant.objects.filter(move_id=move.pk, step=step).afirst()
    if existing is not None and existing.frames == variant_frames(move.frames, step):
        return existing
    if existing is not None:  # rendered on an older grid (steps of 1 %, no held frame): redo
        await _discard(existing.stream_key, runtime.storage)
    return await render_variant(move, step, runtime=runtime)


async def render_variant(
    move: Move, step: int, fmt: VideoFormat | None = None, *, runtime: Runtime
) -> MoveVariant:
    """Re-time the move's canonical clip to ``step``, store the stream, record the row.

    ``fmt`` is the clip's format: the configured one unless ``renormalize`` is rebuilding it."""
    storage = runtime.storage
    started = time.monotonic()
    async with work_dir(runtime.work_root, "variant-") as work:
        try:
            source = await storage.local_path(move.clip_key)
            if source is None:
                source = work / "clip.mp4"
                await storage.download(move.clip_key, source)
        except StorageError as exc:
            raise ChoreoError(
                f"could not fetch the clip of {move.name!r}", stage=STAGE, details=str(exc)
            ) from exc
        stream = await retime_clip(
            source,
            work,
            fmt or runtime.video_format,
            FFmpegCommandBuilder(runtime.config.ffmpeg, runtime.config.ffprobe),
            frames=move.frames,
            target_frames=retimed_frames(move.frames, step),
            held=HELD_FRAMES,
            stage=STAGE,
        )
        stem = move.clip_key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        key = f"library/variants/{stem}-{step_label(step)}-{secrets.token_hex(4)}.h264"
        try:
            await storage.upload(stream.path, key, move=True)
            row = await _record(move, step, key, stream, time.monotonic() - started, storage)
            variant_rendered()
            return row
        except StorageError as exc:
            await finish(_discard(key, storage))
            raise ChoreoError(
                f"could not store a tempo variant of {move.name!r}", stage=STAGE, details=str(exc)
            ) from exc
        except BaseException:
            await finish(_discard(key, storage))
            raise


async def _record(
    move: Move, step: int, key: str, stream, seconds: float, storage: Storage
) -> MoveVariant:
    try:
        return await MoveVariant.objects.acreate(
            move=move,
            step=step,
            tempo_bpm=round(move.tempo_bpm * move.frames / retimed_frames(move.frames, step), 4),
            stream_key=key,
            frame_offsets=list(stream.offsets),
            frames=stream.frames,
            render_seconds=round(seconds, 3),
        )
    except IntegrityError:
        # Another process stored it first: ours goes, theirs is the one.
        await storage.delete(key)
        return await MoveVariant.objects.aget(move_id=move.pk, step=step)


async def _discard(key: str, storage: Storage) -> None:
    """Undo a half-finished store: the row (an insert still running in its worker thread is
    ordered before this delete) and the object."""
    await MoveVariant.objects.filter(stream_key=key).adelete()
    try:
        await storage.delete(key)
    except StorageError as exc:
        logger.warning("could not delete %s: %s", key, exc)
