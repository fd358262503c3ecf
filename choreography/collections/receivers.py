"""What collections does when generation announces (choreography.generation.signals).

- a generation is requested: refused (QuotaExceededError) once the user's quota is reached;
- a video is completed: saved at once when its owner's ``auto_save`` preference is on.

Connected by the collections app (``CollectionsConfig.ready``).
"""

from __future__ import annotations

from choreography.collections.services import auto_save, check_quota
from choreography.generation.signals import generation_requested, video_completed


async def refuse_over_quota(sender, *, user, **kwargs) -> None:
    await check_quota(user, action="generate")


async def save_when_wanted(sender, *, task, **kwargs) -> None:
    await auto_save(task)


def connect() -> None:
    generation_requested.connect(refuse_over_quota, dispatch_uid="choreo-collections-quota")
    video_completed.connect(save_when_wanted, dispatch_uid="choreo-collections-auto-save")
