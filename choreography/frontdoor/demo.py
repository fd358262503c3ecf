"""The front door's demo choreography: made once by the real generate use case, saved and shared
by a dedicated account that cannot sign in, so the front door plays it through the shared link's
checked video route like any shared choreography.

``ensure_front_door_demo`` is idempotent (the existing one is kept) and dances only a song of the
demo library unless told which (an operator's own songs are never made public by it);
``front_door_demo`` finds it for the page (None when there is none: the front door works
without it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from choreography.collections import services as collections
from choreography.collections.models import SavedChoreography
from choreography.generation.service import admit, prepare_generation, run_generation
from choreography.models import Song
from choreography.runtime import Runtime

logger = logging.getLogger(__name__)

OWNER = "choreo-front-door"
"""The account that owns the demo (an unusable password: nobody signs in as it)."""
TITLE = "A beginner's bachata, cut on the beat"
PARAMETERS = {"difficulty": "beginner", "energy_level": "medium", "style": None, "seed": 2024}
LENGTH_S = 32.0
"""About four 8-counts: long enough to see the moves change, short to load."""


@dataclass(frozen=True)
class FrontDoorDemo:
    saved: SavedChoreography
    created: bool


async def front_door_demo() -> SavedChoreography | None:
    """The shared demo choreography, with its task and song, or None."""
    return (
        await SavedChoreography.objects.select_related("task", "task__song")
        .filter(user__username=OWNER)
        .exclude(share_token="")
        .order_by("-created_at")
        .afirst()
    )


async def _demo_song(song_id: int | None) -> Song | None:
    """The song asked for, else the first of the demo library's songs present (never one of an
    operator's own songs: the demo is public)."""
    if song_id is not None:
        return await Song.objects.filter(pk=song_id).afirst()
    # Imported here: the demo module synthesizes with NumPy, which a page never needs.
    from choreography.library.demo import DEMO_SONGS

    for demo in DEMO_SONGS:
        if song := await Song.objects.filter(title=demo.title, artist=demo.artist).afirst():
            return song
    return None


async def ensure_front_door_demo(
    *, runtime: Runtime, song_id: int | None = None
) -> FrontDoorDemo | None:
    """The demo choreography, generated, saved and shared on the first call; None when there is
    no song to dance it to (by default a song of the demo library)."""
    if (existing := await front_door_demo()) is not None:
        return FrontDoorDemo(existing, created=False)
    song = await _demo_song(song_id)
    if song is None:
        return None
    owner, made = await get_user_model().objects.aget_or_create(username=OWNER)
    if made:
        owner.set_unusable_password()
        await owner.asave(update_fields=["password"])
    job = await prepare_generation(
        runtime=runtime,
        user=owner,
        song_id=song.pk,
        duration_seconds=LENGTH_S if song.duration_seconds > LENGTH_S else None,
        **PARAMETERS,
    )
    task = await run_generation(job, await admit(job))
    saved = await collections.save(user=owner, task_id=task.pk, title=TITLE)
    await collections.share(user=owner, saved_id=saved.pk, expires_in_days=None)
    logger.info("front door demo made: %s", task.pk)
    return FrontDoorDemo(await front_door_demo(), created=True)
