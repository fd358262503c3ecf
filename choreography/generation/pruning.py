"""Pruning unsaved generations: by hand (``manage.py prune_videos``) and on a schedule.

``prune`` deletes the videos and rows of unsaved generations older than a cut-off; saved
choreographies and running generations are never touched. Every serving process runs a
``Pruner`` that wakes every CHOREO_PRUNE_INTERVAL_S and prunes what is older than
CHOREO_UNSAVED_TTL_DAYS, but only while it holds the ``prune`` work lease: the lease is a row
(WorkLease) taken with one conditional UPDATE (or INSERT) for a whole interval, so among the
processes sharing the database exactly one prunes per interval and never two at once.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from choreography.generation.periodic import Periodic
from choreography.models import ChoreographyTask, TaskStatus, WorkLease
from storage import Storage, StorageError

logger = logging.getLogger(__name__)

LEASE_NAME = "prune"
MIN_LEASE_S = 60.0
"""A run holds the lease at least this long, however short the interval (tests use tiny ones)."""
FIRST_RUN_DELAY_S = 60.0


async def prune(
    older_than_days: float, *, storage: Storage, dry_run: bool
) -> tuple[int, int, list[str]]:
    """Delete unsaved videos (from ``storage``) and task rows older than the cut-off; saved ones
    and running ones stay. Returns (rows, videos, failures)."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    rows = videos = 0
    failures: list[str] = []
    async for task in (
        ChoreographyTask.objects.filter(created_at__lt=cutoff, saved__isnull=True)
        .exclude(status=TaskStatus.RUNNING)
        .order_by("created_at")
    ):
        key = (task.result or {}).get("video_key")
        if dry_run:
            rows += 1
            videos += bool(key)
            continue
        if key:
            try:
                await storage.delete(key)
                videos += 1
            except StorageError as exc:  # keep the row so the video is not orphaned silently
                failures.append(f"{task.pk}: {exc}")
                continue
        await task.adelete()
        rows += 1
    return rows, videos, failures


async def take_lease(name: str, *, owner: str, ttl_s: float) -> bool:
    """Hold the work lease ``name`` for ``ttl_s`` from now: True when ``owner`` got it (it was
    free, expired, or already its own), False while another owner holds it.

    One conditional UPDATE (atomic on every database), or an INSERT when the row does not
    exist yet, whose unique key lets one of two racing processes win.
    """
    now = timezone.now()
    until = now + dt.timedelta(seconds=ttl_s)
    taken = (
        await WorkLease.objects.filter(name=name)
        .filter(Q(expires_at__lt=now) | Q(owner=owner))
        .aupdate(owner=owner, expires_at=until)
    )
    if taken:
        return True
    if await WorkLease.objects.filter(name=name).aexists():
        return False
    try:
        await WorkLease.objects.acreate(name=name, owner=owner, expires_at=until)
    except IntegrityError:  # another process inserted it first
        return False
    return True


class Pruner:
    """A serving process's scheduled pruning: every ``interval_s``, prune if the lease is ours."""

    def __init__(
        self, *, instance_id: str, interval_s: float, older_than_days: float, storage: Storage
    ) -> None:
        self.instance_id = instance_id
        self.storage = storage
        """The storage of the runtime this pruner belongs to."""
        self.interval_s = interval_s
        self.older_than_days = older_than_days
        self._periodic = Periodic(
            self.run_once,
            interval_s=interval_s,
            # The first run waits too (at most FIRST_RUN_DELAY_S): start-up stays quick.
            first_delay_s=min(interval_s, FIRST_RUN_DELAY_S),
            name="pruner",
            logger=logger,
            failure="scheduled pruning failed; trying again next interval",
        )

    async def run_once(self) -> tuple[int, int, list[str]] | None:
        """Prune if this process takes the lease; None when another process holds it."""
        if not await take_lease(
            LEASE_NAME, owner=self.instance_id, ttl_s=max(self.interval_s, MIN_LEASE_S)
        ):
            return None
        rows, videos, failures = await prune(
            self.older_than_days, storage=self.storage, dry_run=False
        )
        if rows or failures:
            logger.info(
                "pruned %d unsaved generation(s) older than %g days (%d videos); %d failed",
                rows,
                self.older_than_days,
                videos,
                len(failures),
            )
        for failure in failures:
            logger.warning("could not delete the video of task %s", failure)
        return rows, videos, failures

    def start(self) -> None:
        """Prune every ``interval_s`` (none when it is 0 or less)."""
        if self.interval_s > 0:
            self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()
