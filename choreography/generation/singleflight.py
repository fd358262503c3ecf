"""Run each keyed piece of work once in the process, however many callers want it at once.

Concurrent requests that need the same tempo variant await one render instead of each encoding
it. The work runs in a task of its own, shielded from any one caller: a caller that goes away
stops waiting, and only when the last one has gone is the work cancelled (and awaited, so its
cleanup is done before that caller's cancellation propagates). A semaphore bounds how many
pieces run at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from assembly import finish


@dataclass
class _Flight:
    task: asyncio.Task
    waiters: int = 0


class SingleFlight:
    """Keyed, deduplicated, bounded work (one per Runtime)."""

    def __init__(self, *, slots: int) -> None:
        self._slots = asyncio.Semaphore(slots)
        self._flights: dict[Hashable, _Flight] = {}
        self.started = 0
        """Pieces of work started in this process (tests and benchmarks read it)."""

    async def run(self, key: Hashable, work: Callable[[], Awaitable[Any]]) -> Any:
        """The result of ``work()`` for ``key``: started now, or the one already running."""
        flight = self._flights.get(key)
        if flight is None:
            flight = _Flight(asyncio.create_task(self._bounded(work)))
            self._flights[key] = flight
            flight.task.add_done_callback(lambda _: self._forget(key, flight))
            self.started += 1
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task)
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.task.done():
                self._forget(key, flight)  # a new caller starts afresh
                flight.task.cancel()
                await finish(asyncio.wait({flight.task}))

    def running(self) -> int:
        return len(self._flights)

    async def _bounded(self, work: Callable[[], Awaitable[Any]]) -> Any:
        async with self._slots:
            return await work()

    def _forget(self, key: Hashable, flight: _Flight) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
