"""Background work repeated on a schedule, for as long as a serving process runs.

A ``Periodic`` runs its work in a task of its own from ``start`` until ``stop``: once after
``first_delay_s`` (0: at once), then every ``interval_s`` after the previous run ended. A run
that fails is logged (on the caller's logger) and the next one comes on schedule; ``stop``
cancels the task and waits for it. The lease keeper (``leases.LeaseKeeper``) and the scheduled
pruner (``pruning.Pruner``) are built on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable


class Periodic:
    """``work()`` every ``interval_s`` in a task named ``name``, from ``start`` until ``stop``."""

    def __init__(
        self,
        work: Callable[[], Awaitable[object]],
        *,
        interval_s: float,
        name: str,
        logger: logging.Logger,
        failure: str,
        first_delay_s: float = 0.0,
    ) -> None:
        self.work = work
        self.interval_s = interval_s
        self.first_delay_s = first_delay_s
        self.name = name
        self.logger = logger
        self.failure = failure
        """Logged (with the traceback) when a run raises."""
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def _run(self) -> None:
        if self.first_delay_s > 0:
            await asyncio.sleep(self.first_delay_s)
        while True:
            try:
                await self.work()
            except Exception:
                self.logger.exception(self.failure)
            await asyncio.sleep(self.interval_s)

    async def stop(self) -> None:
        """Cancel the task (if started) and wait until it has ended."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
