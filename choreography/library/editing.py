"""Editing the library: re-planning a song's grid, deleting songs and moves with their objects.

A song whose tempo or first downbeat changes keeps its audio; its per-phrase energy curve (RMS of
each 8-count phrase from the first downbeat) depends on both, so it is measured again from the
stored canonical audio, exactly as the import does with a given tempo and first beat. Nothing
else stored depends on them (choreographies are planned from these fields at request time).

A song or move that completed choreographies still use is not deleted (InUseError, 409): their
records (and a re-render of them) name it. Running or failed ones do not hold it.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from assembly import gather_or_cancel, work_dir
from choreography.errors import InUseError
from choreography.library.imports import _builder
from choreography.library.listening import analyse_file
from choreography.models import ChoreographyTask, Move, Song, TaskStatus
from storage import Storage, StorageError

if TYPE_CHECKING:
    from choreography.runtime import Runtime

logger = logging.getLogger(__name__)

LISTED_USERS = 10
"""At most this many task ids are named in a 409; the count covers the rest."""


async def replan_song(song: Song, *, bpm: float, first_beat: float, runtime: Runtime) -> Song:
    """Set the song's grid and measure its energy curve again on it (not saved: the caller does)."""
    async with work_dir(runtime.work_root, "replan-") as work:
        local = work / "song.m4a"
        await runtime.storage.download(song.audio_key, local)
        analysis = await analyse_file(
            local, work, _builder(runtime), bpm=bpm, first_beat=first_beat
        )
    record = dict(song.analysis or {})
    if bpm != song.bpm:
        record["bpm_source"] = "given"
    if first_beat != song.first_beat_seconds:
        record["first_beat_source"] = "given"
    song.bpm, song.first_beat_seconds = bpm, first_beat
    song.energy_curve = list(analysis.energy_curve)
    song.analysis = record
    return song


async def song_users(song: Song) -> list[str]:
    """Ids of the completed choreographies made on ``song``."""
    tasks = ChoreographyTask.objects.filter(status=TaskStatus.COMPLETED, song_id=song.pk)
    return [str(pk) async for pk in tasks.order_by("created_at").values_list("pk", flat=True)]


async def move_users(move: Move) -> list[str]:
    """Ids of the completed choreographies whose timeline or blueprint uses ``move``."""
    found = []
    candidates = ChoreographyTask.objects.filter(
        status=TaskStatus.COMPLETED, result__icontains=move.name
    ).order_by("created_at")
    async for pk, result in candidates.values_list("pk", "result"):
        names = {entry.get("name") for entry in (result or {}).get("timeline", [])}
        blueprint = json.dumps((result or {}).get("blueprint", {}))
        if move.name in names or (move.clip_key and move.clip_key in blueprint):
            found.append(str(pk))
    return found


def _refuse(kind: str, label: str, users: list[str]) -> InUseError:
    listed = ", ".join(users[:LISTED_USERS])
    more = f" and {len(users) - LISTED_USERS} more" if len(users) > LISTED_USERS else ""
    return InUseError(
        f"{kind} {label!r} is used by {len(users)} completed choreograph"
        f"{'y' if len(users) == 1 else 'ies'}",
        details=f"tasks {listed}{more}",
    )


async def delete_song(song: Song, *, storage: Storage) -> None:
    """Delete the row, then its audio; InUseError if completed choreographies use it."""
    if users := await song_users(song):
        raise _refuse("song", song.title, users)
    await song.adelete()
    await _delete_objects([song.audio_key, song.original_key], storage)


async def delete_move(move: Move, *, storage: Storage) -> None:
    """Delete the row, then its clip, elementary stream, poster, original and tempo variants;
    InUseError if still used."""
    if users := await move_users(move):
        raise _refuse("move", move.name, users)
    variants = [key async for key in move.variants.values_list("stream_key", flat=True)]
    await move.adelete()
    await _delete_objects(
        [move.clip_key, move.stream_key, move.poster_key, move.original_key, *variants], storage
    )


async def _delete_objects(keys: list[str], storage: Storage) -> None:
    """The row is gone first: an object left behind by a storage failure is only an orphan
    (logged), never a row pointing at nothing."""

    async def one(key: str) -> None:
        try:
            await storage.delete(key)
        except StorageError as exc:
            logger.warning("could not delete %s: %s", key, exc)

    await gather_or_cancel(tuple(one(key) for key in keys if key))
