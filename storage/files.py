"""Local file I/O in worker threads that stays leak-free when the awaiting task is cancelled.

``aiofiles.open`` leaks the file object when its caller is cancelled while the open runs in a
thread (the thread finishes, nobody closes the result). These helpers open, read and close
inside one thread call, or close the orphaned file when the open completes after cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO


def _read_range(path: Path, offset: int, length: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read(length)


async def read_range(path: Path, offset: int, length: int) -> bytes:
    """Up to ``length`` bytes of ``path`` from ``offset`` (fewer if the file is shorter)."""
    return await asyncio.to_thread(_read_range, path, offset, length)


def _close_orphan(future: asyncio.Future) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().close()


@contextlib.asynccontextmanager
async def open_for_writing(path: Path) -> AsyncIterator[BinaryIO]:
    """Open ``path`` for binary writing in a thread; closed on every exit, cancellation included.

    Write with ``await asyncio.to_thread(handle.write, data)``.
    """
    opening = asyncio.get_running_loop().run_in_executor(None, open, path, "wb")
    try:
        handle = await asyncio.shield(opening)
    except asyncio.CancelledError:
        opening.add_done_callback(_close_orphan)
        raise
    try:
        yield handle
    finally:
        await asyncio.shield(asyncio.to_thread(handle.close))
