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
import secrets
import shutil
import socket
import time
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from choreography.models import ChoreographyTask, TaskStatus

logger = logging.getLogger(__name__)

INSTANCE_ID = f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"
"""This process: unique across processes and restarts, readable in logs and rows."""

INTERRUPTED = "interrupted: the server stopped before this generation finished"


def lease_s() -> float:
    return settings.CHOREO.lease_s


def instance_work_root() -> Path:
    """This process's own work directory: other processes never sweep it while it lives."""
    return Path(settings.WORK_ROOT) / INSTANCE_ID


async def renew() -> int:
    """Renew the lease on every row this process runs; keep its work directory fresh."""
    count = await ChoreographyTask.objects.filter(
        owner=INSTANCE_ID, status=TaskStatus.RUNNING
    ).aupdate(heartbeat_at=timezone.now())
    with contextlib.suppress(FileNotFoundError):
        os.utime(instance_work_root())
    return count


async def fail_expired() -> int:
    """Mark failed the running rows whose owner stopped renewing; sweep dead work dirs."""
    cutoff = timezone.now() - dt.timedelta(seconds=lease_s())
    count = await ChoreographyTask.objects.filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, updated_at__lt=cutoff),
        status=TaskStatus.RUNNING,
    ).aupdate(status=TaskStatus.FAILED, error=INTERRUPTED)
    if count:
        logger.warning("marked %d interrupted generation(s) as failed", count)
    await asyncio.to_thread(_sweep_work_dirs, Path(settings.WORK_ROOT), time.time() - lease_s())
    return count


def _sweep_work_dirs(root: Path, cutoff: float) -> None:
    """Remove what dead instances left under ``root`` (not touched since ``cutoff``)."""
    if not root.is_dir():
        return
    for entry in root.iterdir():
        if entry.name == INSTANCE_ID:
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
    """Renews this process's leases and fails expired ones, every third of the lease."""

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        instance_work_root().mkdir(parents=True, exist_ok=True)
        self._task = asyncio.create_task(self._run(), name="lease-keeper")

    async def _run(self) -> None:
        while True:
            try:
                await renew()
                await fail_expired()
            except Exception:
                logger.exception("renewing the generation leases failed")
            await asyncio.sleep(lease_s() / 3)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
