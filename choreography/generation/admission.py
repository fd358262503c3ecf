"""Admission of generations in one process: assembly slots and a bounded FIFO wait queue.

This is the only admission layer: a generation is *running* exactly while it holds one of the
``slots`` (CHOREO_MAX_CONCURRENT_ASSEMBLIES), so /health/'s "running" means FFmpeg may run. A
request first *reserves* a ticket, synchronously and at once: refused with 503 when every slot
and every place in the queue is taken. A reserved ticket then waits for a slot (first come,
first served) at most ``queue_timeout_s`` (then 503 with Retry-After), runs, and is released on
every path (done, failed, cancelled). Reservation never awaits, so on one event loop the check
and the reservation cannot interleave with another request. The per-user cap holds across
processes and machines, so it lives in the database (choreography.generation.service).

The gate also knows the asyncio task doing each ticket's work, so a graceful shutdown can
stop every generation (each then records why it stopped) before the server exits.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator

from choreography.errors import ServerBusyError, ShuttingDownError
from choreography.observability.metrics import generations_in_flight, refused

logger = logging.getLogger(__name__)

SHUTDOWN_REASON = "server shutting down"


class Ticket:
    """One admitted generation: waiting for a slot, running, or released."""

    def __init__(self, gate: GenerationGate) -> None:
        self.gate = gate
        self.task: asyncio.Task | None = None
        self.stop_reason: str | None = None
        self.running = False
        self.released = False
        self.started_at: float | None = None

    def bind(self, task: asyncio.Task | None = None) -> None:
        """Record the task doing this ticket's work (the one a shutdown cancels)."""
        self.task = task or asyncio.current_task()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for an in-flight slot (FIFO), hold it for the body; the ticket is released
        afterwards, and also when the wait itself fails or is cancelled."""
        try:
            await self.gate._acquire(self)
            yield
        finally:
            self.release()

    def release(self) -> None:
        """Give back the slot (if held) or the place in the queue; idempotent."""
        self.gate._release(self)


class GenerationGate:
    """Counts and queues generations for one process (one event loop)."""

    def __init__(
        self, *, slots: int, queue_size: int, queue_timeout_s: float, retry_after_s: float = 5
    ) -> None:
        self.slots = slots
        self.queue_size = queue_size
        self.queue_timeout_s = queue_timeout_s
        self._tickets: set[Ticket] = set()
        self._running = 0
        self._waiters: collections.deque[tuple[asyncio.Future, Ticket]] = collections.deque()
        self._closing = False
        self._average_run_s = float(retry_after_s)

    # -- what callers use -------------------------------------------------------------------

    def reserve(self) -> Ticket:
        """A ticket, or ServerBusyError / ShuttingDownError (503)."""
        if self._closing:
            raise refused(self._shutting_down())
        if len(self._tickets) >= self.slots + self.queue_size:
            raise refused(
                ServerBusyError(
                    "the server is busy: every generation slot and queue place is taken",
                    details=f"{self._running} running, {len(self._tickets) - self._running} waiting "
                    f"(CHOREO_MAX_CONCURRENT_ASSEMBLIES={self.slots}, "
                    f"CHOREO_QUEUE_SIZE={self.queue_size})",
                    retry_after=self.retry_after(),
                )
            )
        ticket = Ticket(self)
        self._tickets.add(ticket)
        self._publish()
        return ticket

    def _shutting_down(self) -> ShuttingDownError:
        return ShuttingDownError(
            "the server is shutting down",
            details="try again in a moment",
            retry_after=self.retry_after(),
        )

    def retry_after(self) -> int:
        """Seconds until a place is likely free: queued rounds times the average run time."""
        rounds = 1 + max(0, len(self._tickets) - self.slots) / self.slots
        return max(1, min(60, math.ceil(self._average_run_s * rounds)))

    def _publish(self) -> None:
        """Tell the metrics how many run and wait (after every change)."""
        generations_in_flight(running=self._running, queued=len(self._tickets) - self._running)

    def stats(self) -> dict[str, int]:
        return {
            "running": self._running,
            "waiting": len(self._tickets) - self._running,
            "slots": self.slots,
            "queue_size": self.queue_size,
        }

    async def close(self, *, reason: str = SHUTDOWN_REASON, timeout: float = 10.0) -> int:
        """Refuse new work, stop every generation in flight, wait (bounded) for them to end.

        Returns how many generations were stopped.
        """
        self._closing = True
        tasks = []
        for ticket in list(self._tickets):
            ticket.stop_reason = reason
            if ticket.task is not None and not ticket.task.done():
                ticket.task.cancel()
                tasks.append(ticket.task)
        if tasks:
            logger.warning("stopping %d generation(s): %s", len(tasks), reason)
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            if pending:
                logger.error("%d generation(s) did not stop within %g s", len(pending), timeout)
        return len(tasks)

    # -- ticket internals -------------------------------------------------------------------

    async def _acquire(self, ticket: Ticket) -> None:
        if ticket.released:
            raise RuntimeError("a released ticket cannot run")
        if self._closing:
            raise refused(self._shutting_down())
        if self._running < self.slots and not self._waiters:
            self._start(ticket)
            return
        waiter = asyncio.get_running_loop().create_future()
        entry = (waiter, ticket)
        self._waiters.append(entry)
        try:
            async with asyncio.timeout(self.queue_timeout_s):
                await waiter
        except TimeoutError:
            if waiter.done() and not waiter.cancelled():
                self._start(ticket, handed_over=True)  # handed over as the wait ran out
                return
            with contextlib.suppress(ValueError):
                self._waiters.remove(entry)
            raise refused(
                ServerBusyError(
                    f"no generation slot became free within {self.queue_timeout_s:g} s",
                    details="every slot stayed busy (CHOREO_QUEUE_TIMEOUT_S); try again shortly",
                    retry_after=self.retry_after(),
                    stage="queued",
                )
            ) from None
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                # The slot was handed over just as we were cancelled: pass it on.
                ticket.running = True
                self._release(ticket)
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(entry)
            raise
        self._start(ticket, handed_over=True)

    def _start(self, ticket: Ticket, *, handed_over: bool = False) -> None:
        if not handed_over:
            self._running += 1
        ticket.running = True
        ticket.started_at = time.monotonic()
        self._publish()

    def _release(self, ticket: Ticket) -> None:
        if ticket.released:
            return
        ticket.released = True
        self._tickets.discard(ticket)
        if not ticket.running:
            for entry in [e for e in self._waiters if e[1] is ticket]:
                self._waiters.remove(entry)
                entry[0].cancel()
            self._publish()
            return
        ticket.running = False
        if ticket.started_at is not None:
            elapsed = time.monotonic() - ticket.started_at
            self._average_run_s = 0.8 * self._average_run_s + 0.2 * elapsed
        # Hand the slot to the first live waiter (the running count stays), else free it.
        while self._waiters:
            waiter, _ = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._publish()
                return
        self._running -= 1
        self._publish()
