"""Structured concurrency shared by assembly and import: no task outlives its caller."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any


async def gather_or_cancel(coros: Iterable[Coroutine[Any, Any, Any]]) -> list[Any]:
    """Run coroutines concurrently and return their results in order; the first failure cancels
    the rest and propagates as itself.

    Unlike ``asyncio.gather``, a failure never leaves siblings running on files their caller is
    about to delete, and callers catch the error itself rather than an ExceptionGroup.
    """
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coro) for coro in coros]
    except BaseExceptionGroup as grouped:
        first = grouped.exceptions[0]
        raise first  # noqa: B904 -- keeps its own __cause__ (e.g. the storage error it translates)
    return [task.result() for task in tasks]
