"""Temporary work directories that a cancellation at any instant cannot leak.

The directory is created synchronously (one ``mkdir``, microseconds): an ``await`` between
creating it and owning it would be a window where a cancelled coroutine leaves it behind
(``asyncio.to_thread(mkdtemp)`` finishes in its thread after the caller was cancelled). Removal
runs off the event loop and is awaited to the end even if the caller is cancelled meanwhile.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


async def finish(awaitable: Awaitable[T]) -> T:
    """Await ``awaitable`` to completion even if the caller is cancelled meanwhile.

    A cleanup (remove a directory, mark a row failed) must not be cut short by the very
    cancellation it cleans up after; the cancellation is re-raised once it is done.
    """
    task = asyncio.ensure_future(awaitable)
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(task)
            break
        except asyncio.CancelledError:
            if task.done():
                raise
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    return result


async def remove_tree(path: Path) -> None:
    await asyncio.to_thread(shutil.rmtree, path, ignore_errors=True)


@asynccontextmanager
async def work_dir(root: Path, prefix: str) -> AsyncIterator[Path]:
    """A fresh directory under ``root``, removed on success, error and cancellation alike."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    try:
        yield path
    finally:
        await finish(remove_tree(path))
