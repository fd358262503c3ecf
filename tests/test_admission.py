"""The admission gate on a real event loop: caps, FIFO queue, per-user limit, release, shutdown."""

from __future__ import annotations

import asyncio

import pytest

from choreography.admission import GenerationGate
from choreography.errors import ServerBusyError, ShuttingDownError, TooManyGenerationsError


def gate(max_in_flight=2, queue_size=2, max_per_user=2) -> GenerationGate:
    return GenerationGate(
        max_in_flight=max_in_flight, queue_size=queue_size, max_per_user=max_per_user
    )


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
    tickets = [g.reserve(user) for user in "abcd"]
    with pytest.raises(ServerBusyError) as refused:
        g.reserve("e")
    assert refused.value.retry_after >= 1
    assert "CHOREO_QUEUE_SIZE=2" in refused.value.details
    for ticket in tickets:
        ticket.release()
    g.reserve("e").release()


async def test_per_user_cap_429_counts_waiting_and_running():
    g = gate(max_in_flight=1, queue_size=5, max_per_user=2)
    first, second = g.reserve("a"), g.reserve("a")
    with pytest.raises(TooManyGenerationsError):
        g.reserve("a")
    g.reserve("b").release()  # others are not affected
    first.release()
    g.reserve("a").release()  # a place came back
    second.release()


async def test_waiters_run_in_arrival_order():
    """FIFO: a freed slot goes to the longest waiter; the running count never exceeds the cap."""
    g = gate(max_in_flight=1, queue_size=3, max_per_user=5)
    started: list[str] = []
    gates = {name: asyncio.Event() for name in "wxyz"}
    tasks = {}
    for name in "wxyz":
        tasks[name] = asyncio.create_task(hold(g.reserve("u"), started, name, gates[name]))
        await settle()
    assert started == ["w"]
    assert g.stats()["running"] == 1 and g.stats()["waiting"] == 3
    for name in "wxy":
        gates[name].set()
        await settle()
    assert started == ["w", "x", "y", "z"]
    gates["z"].set()
    await asyncio.gather(*tasks.values())
    assert g.stats() == {"running": 0, "waiting": 0, "max_in_flight": 1, "queue_size": 3}


async def test_cancelled_waiter_gives_its_place_back():
    g = gate(max_in_flight=1, queue_size=1, max_per_user=5)
    release = asyncio.Event()
    started: list[str] = []
    running = asyncio.create_task(hold(g.reserve("u"), started, "first", release))
    waiting_ticket = g.reserve("u")
    waiting = asyncio.create_task(hold(waiting_ticket, started, "second", release))
    await settle()
    with pytest.raises(ServerBusyError):
        g.reserve("u")
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert waiting_ticket.released
    assert g.stats()["waiting"] == 0
    third = asyncio.create_task(hold(g.reserve("u"), started, "third", release))
    release.set()
    await asyncio.gather(running, third)
    assert started == ["first", "third"]
    assert g.stats()["running"] == 0


async def test_release_is_idempotent():
    g = gate(max_in_flight=1, queue_size=0, max_per_user=1)
    ticket = g.reserve("a")
    ticket.release()
    ticket.release()
    g.reserve("a").release()
    assert g.stats()["running"] == 0


async def test_close_cancels_bound_tasks_and_refuses_new_work():
    """close() marks every ticket with the reason, cancels its task and waits for it."""
    g = gate(max_in_flight=1, queue_size=1, max_per_user=5)
    seen: list[tuple[str, str | None]] = []

    async def work(name: str) -> None:
        ticket = g.reserve("u")
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
        g.reserve("u")
    assert g.stats()["running"] == 0 and g.stats()["waiting"] == 0


async def test_retry_after_grows_with_the_queue_and_stays_bounded():
    g = gate(max_in_flight=1, queue_size=200, max_per_user=500)
    alone = g.retry_after()
    tickets = [g.reserve("u") for _ in range(50)]
    assert alone <= g.retry_after() <= 60
    for ticket in tickets:
        ticket.release()
