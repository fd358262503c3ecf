"""The disk floor: refuse work that writes to the data dir while its filesystem is nearly full.

A generation writes its work files (and, on local storage, its video) under the data dir; a
staff upload spools the file there and stores what it imports. Below CHOREO_MIN_FREE_DISK_MB of
free space both are refused with InsufficientStorageError (HTTP 507), so the disk never fills up
to the point where the database, the logs or a running generation fail instead.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterable
from pathlib import Path

from choreography.errors import InsufficientStorageError

MIB = 1024 * 1024


def existing(path: Path) -> Path:
    """``path`` or its nearest existing parent (a work dir is made on first use)."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def free_bytes(paths: Iterable[Path]) -> int:
    """The least free space (bytes, for an unprivileged user) among the filesystems of ``paths``."""
    return min(shutil.disk_usage(existing(path)).free for path in paths)


async def ensure_free_disk(paths: Iterable[Path], *, floor_mb: int, action: str) -> None:
    """InsufficientStorageError when any of ``paths`` has less than ``floor_mb`` MiB free.

    ``floor_mb`` 0 turns the check off. The statvfs call runs in a worker thread: on a network
    filesystem it can block.
    """
    if floor_mb <= 0:
        return
    free = await asyncio.to_thread(free_bytes, list(paths))
    if free < floor_mb * MIB:
        raise InsufficientStorageError(
            f"the server is running out of disk space, so the {action} was refused: "
            f"{free / MIB:.0f} MB free, below the floor of {floor_mb} MB",
            details="an operator must free space on the server (or lower "
            "CHOREO_MIN_FREE_DISK_MB); try again later",
        )
