"""What class plans do when collections announces (choreography.collections.signals).

- a saved choreography is about to be deleted: refused (InUseError, 409) while a class plan
  uses it, before anything is deleted.

Connected by the class plans app (``ClassPlansConfig.ready``).
"""

from __future__ import annotations

from choreography.classplans.models import PlanSequence
from choreography.collections.signals import choreography_deleting
from choreography.errors import InUseError


async def refuse_while_planned(sender, *, task, **kwargs) -> None:
    plans = [
        title
        async for title in PlanSequence.objects.filter(choreography__task=task)
        .values_list("plan__title", flat=True)
        .distinct()
    ]
    if plans:
        raise InUseError(
            f"{len(plans)} class plan(s) use this choreography; remove it from them first",
            details=", ".join(plans[:10]),
            stage="collections",
        )


def connect() -> None:
    choreography_deleting.connect(refuse_while_planned, dispatch_uid="choreo-classplans-in-use")
