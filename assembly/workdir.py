"""Temporary work directories created and removed off the event loop, on every path."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path


async def remove_tree(path: Path) -> None:
    await asyncio.to_thread(shutil.rmtree, path, ignore_errors=True)


@asynccontextmanager
async def work_dir(root: Path, prefix: str) -> AsyncIterator[Path]:
    """A fresh directory under ``root``, removed on success, error and cancellation alike."""
    await asyncio.to_thread(Path(root).mkdir, parents=True, exist_ok=True)
    path = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=prefix, dir=root))
    try:
        yield path
    finally:
        await asyncio.shield(remove_tree(path))
