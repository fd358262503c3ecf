"""The admission gate on a real event loop: slots, FIFO queue, queue timeout, release, shutdown."""

from __future__ import annotations

import asyncio

import pytest

from choreography.errors import ServerBusyError, ShuttingDownError
from choreography.generation.admission import GenerationGate


def gate(slots=2, queue_size=2, queue_timeout_s=60.0) -> GenerationGate:
    return GenerationGate(slots=slots, queue_size=queue_size, queue_timeout_s=queue_timeout_s)


async def hold(ticket, started: list, name: str, release: asyncio.Event) -> None:
    ticket.bind()
    async with ticket.slot():
        started.append(name)
        await release.wait()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_cap_plus_queue_then_busy_503():
    """Two run, two wait, the fifth reservation is ServerBusyError with a Retry-After."""
    g = gate()
    tickets = [g.reserve() for _ in range(4)]
    with pytest.raises(ServerBusyError) as refused:
        g.reserve()
    assert refused.value.retry_after >= 1
    assert "CHOREO_QUEUE_SIZE=2" in refused.value.details
    for ticket in tickets:
        ticket.release()
    g.reserve().release()


async def test_a_wait_longer_than_the_queue_timeout_is_503_and_gives_the_place_back():
    """A ticket that waits CHOREO_QUEUE_TIMEOUT_S without a slot is ServerBusyError (stage
    queued, Retry-After); the queue is as if it never waited."""
    g = gate(slots=1, queue_size=1, queue_timeout_s=0.05)
    holder, waiter = g.reserve(), g.reserve()
    release = asyncio.Event()
    running = asyncio.create_task(hold(holder, [], "holder", release))
    await settle()
    with pytest.raises(ServerBusyError) as refused:
        async with waiter.slot():
            pass
    assert refused.value.stage == "queued" and refused.value.retry_after >= 1
    assert g.stats()["waiting"] == 0
    release.set()
    await running
    assert g.stats() == {**g.stats(), "running": 0, "waiting": 0}


async def test_waiters_run_in_arrival_order():
    """FIFO: a freed slot goes to the longest waiter; the running count never exceeds the cap."""
    g = gate(slots=1, queue_size=3)
    started: list[str] = []
    gates = {name: asyncio.Event() for name in "wxyz"}
    tasks = {}
    for name in "wxyz":
        tasks[name] = asyncio.create_task(hold(g.reserve(), started, name, gates[name]))
        await settle()
    assert started == ["w"]
    assert g.stats()["running"] == 1 and g.stats()["waiting"] == 3
    for name in "wxy":
        gates[name].set()
        await settle()
    assert started == ["w", "x", "y", "z"]
    gates["z"].set()
    await asyncio.gather(*tasks.values())
    assert g.stats() == {"running": 0, "waiting": 0, "slots": 1, "queue_size": 3}


async def test_cancelled_waiter_gives_its_place_back():
    g = gate(slots=1, queue_size=1)
    release = asyncio.Event()
    started: list[str] = []
    running = asyncio.create_task(hold(g.reserve(), started, "first", release))
    waiting_ticket = g.reserve()
    waiting = asyncio.create_task(hold(waiting_ticket, started, "second", release))
    await settle()
    with pytest.raises(ServerBusyError):
        g.reserve()
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert waiting_ticket.released
    assert g.stats()["waiting"] == 0
    third = asyncio.create_task(hold(g.reserve(), started, "third", release))
    release.set()
    await asyncio.gather(running, third)
    assert started == ["first", "third"]
    assert g.stats()["running"] == 0


async def test_release_is_idempotent():
    g = gate(slots=1, queue_size=0)
    ticket = g.reserve()
    ticket.release()
    ticket.release()
    g.reserve().release()
    assert g.stats()["running"] == 0


async def test_close_cancels_bound_tasks_and_refuses_new_work():
    """close() marks every ticket with the reason, cancels its task and waits for it."""
    g = gate(slots=1, queue_size=1)
    seen: list[tuple[str, str | None]] = []

    async def work(name: str) -> None:
        ticket = g.reserve()
        ticket.bind()
        try:
            async with ticket.slot():
                await asyncio.sleep(60)
        except asyncio.CancelledError:
            seen.append((name, ticket.stop_reason))
            raise

    tasks = [asyncio.create_task(work(n)) for n in ("running", "queued")]
    await settle()
    assert await g.close(reason="server shutting down", timeout=5) == 2
    assert all(t.cancelled() for t in tasks)
    assert sorted(seen) == [("queued", "server shutting down"), ("running", "server shutting down")]
    with pytest.raises(ShuttingDownError):
        g.reserve()
    assert g.stats()["running"] == 0 and g.stats()["waiting"] == 0


async def test_retry_after_grows_with_the_queue_and_stays_bounded():
    g = gate(slots=1, queue_size=200)
    alone = g.retry_after()
    tickets = [g.reserve() for _ in range(50)]
    assert alone <= g.retry_after() <= 60
    for ticket in tickets:
        ticket.release()
