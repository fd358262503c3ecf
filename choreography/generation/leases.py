"""Ownership of running work: each server process has an instance id and a lease on its rows.

A generation's row names the process running it (``owner``) and carries a heartbeat the owner
renews every third of CHOREO_LEASE_S. A row whose heartbeat is older than the lease belongs to a
process that is gone (killed, crashed, its machine lost): any process may then mark it failed.
Live work of another process (a second ``serve`` on the same data directory, another machine on
the same PostgreSQL) is never touched. Work directories are per instance and kept fresh by the
same heartbeat, so a sweep removes only those of dead processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import shutil
import time
from pathlib import Path

from django.db.models import Q
from django.utils import timezone

from choreography.generation.periodic import Periodic
from choreography.models import ChoreographyTask, TaskStatus

logger = logging.getLogger(__name__)

INTERRUPTED = "interrupted: the server stopped before this generation finished"


def lease_cutoff(lease_s: float) -> dt.datetime:
    """Heartbeats older than this belong to processes that are gone."""
    return timezone.now() - dt.timedelta(seconds=lease_s)


def live_rows(lease_s: float):
    """Running rows whose owner still renews its lease."""
    return ChoreographyTask.objects.filter(
        status=TaskStatus.RUNNING, heartbeat_at__gte=lease_cutoff(lease_s)
    )


async def fail_expired(*, lease_s: float, shared_work_root: Path, keep: str = "") -> int:
    """Mark failed the running rows whose owner stopped renewing; sweep dead work dirs.

    ``keep`` names the caller's own work dir, never swept.
    """
    cutoff = lease_cutoff(lease_s)
    count = await ChoreographyTask.objects.filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, updated_at__lt=cutoff),
        status=TaskStatus.RUNNING,
    ).aupdate(status=TaskStatus.FAILED, error=INTERRUPTED)
    if count:
        logger.warning("marked %d interrupted generation(s) as failed", count)
    await asyncio.to_thread(_sweep_work_dirs, Path(shared_work_root), time.time() - lease_s, keep)
    return count


def _sweep_work_dirs(root: Path, cutoff: float, keep: str) -> None:
    """Remove what dead instances left under ``root`` (not touched since ``cutoff``)."""
    if not root.is_dir():
        return
    for entry in root.iterdir():
        if entry.name == keep:
            continue
        try:
            if entry.stat().st_mtime >= cutoff:
                continue
        except FileNotFoundError:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


class LeaseKeeper:
    """Renews one instance's leases and fails expired ones, every third of the lease."""

    def __init__(
        self, *, instance_id: str, lease_s: float, work_root: Path, shared_work_root: Path
    ) -> None:
        self.instance_id = instance_id
        self.lease_s = lease_s
        self.work_root = Path(work_root)
        self.shared_work_root = Path(shared_work_root)
        self._periodic = Periodic(
            self._tick,
            interval_s=lease_s / 3,
            name="lease-keeper",
            logger=logger,
            failure="renewing the generation leases failed",
        )

    async def renew(self) -> int:
        """Renew the lease on every row this instance runs; keep its work dir fresh."""
        count = await ChoreographyTask.objects.filter(
            owner=self.instance_id, status=TaskStatus.RUNNING
        ).aupdate(heartbeat_at=timezone.now())
        with contextlib.suppress(FileNotFoundError):
            os.utime(self.work_root)
        return count

    async def fail_expired(self) -> int:
        return await fail_expired(
            lease_s=self.lease_s, shared_work_root=self.shared_work_root, keep=self.instance_id
        )

    async def _tick(self) -> None:
        await self.renew()
        await self.fail_expired()

    def start(self) -> None:
        """Renew and fail expired leases at once, then every third of the lease."""
        self.work_root.mkdir(parents=True, exist_ok=True)
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()
