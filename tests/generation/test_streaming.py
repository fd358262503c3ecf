"""SSE on the generate request, in-process: queueing with keep-alives, errors as one event."""

from __future__ import annotations

import asyncio
import json

import pytest

from choreography.accounts.tokens import issue_token
from choreography.api.streaming import format_event, wants_event_stream
from choreography.models import ChoreographyTask, TaskStatus
from tests.clients import TokenClient, start_stream

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("accept", "wanted"),
    [
        ("text/event-stream", True),
        ("TEXT/Event-Stream", True),
        ("application/json, text/event-stream;q=0.5", True),
        ("text/event-stream; q=0", False),
        ("text/event-stream;q=abc", False),
        ("application/json", False),
        ("*/*", False),
        ("", False),
        (None, False),
    ],
)
def test_accept_header_selects_the_stream(accept, wanted):
    assert wants_event_stream(accept) is wanted


def test_an_event_is_one_data_line_even_with_newlines_in_the_payload():
    raw = format_event("progress", {"message": "two\nlines", "x": "ü"}).decode()
    assert raw.endswith("\n\n")
    lines = raw.strip("\n").split("\n")
    assert lines[0] == "event: progress" and len(lines) == 2
    assert json.loads(lines[1].removeprefix("data: "))["message"] == "two\nlines"


async def test_a_queued_request_streams_keepalives_until_a_slot_frees(
    library, reconfigure, runtimes
):
    """With the only slot taken, the stream says "queued" and sends keep-alive comments; once
    the slot is free the generation runs to one completed event."""
    await reconfigure(**{"max_concurrent_assemblies": 1, "sse_keepalive_s": 0.05})
    song, _ = library
    client = TokenClient(await issue_token("alice"))
    blocker = runtimes.current.gate.reserve()
    free = asyncio.Event()

    async def occupy() -> None:
        async with blocker.slot():
            await free.wait()

    occupying = asyncio.create_task(occupy())
    await asyncio.sleep(0)
    reader = await start_stream(client, song)
    events = reader.events()
    first = await anext(events)
    assert (first.name, first.data["stage"], first.data["progress"]) == ("progress", "queued", 0)
    assert [(await anext(events)).name for _ in range(3)] == ["comment"] * 3
    assert runtimes.current.gate.stats()["waiting"] == 1

    free.set()
    await occupying
    rest = [event async for event in events]
    named = [e for e in rest if e.name != "comment"]
    assert named[-1].name == "completed"
    assert [e.name for e in named].count("completed") == 1
    assert named[-1].data["task_id"] == first.data["task_id"]
    assert runtimes.current.gate.stats() == {
        **runtimes.current.gate.stats(),
        "running": 0,
        "waiting": 0,
    }


async def test_a_failure_is_one_error_event_and_the_row_is_failed(library, reconfigure, runtimes):
    await reconfigure(**{"assembly_timeout_s": 0.001})
    song, _ = library
    client = TokenClient(await issue_token("alice"))
    reader = await start_stream(client, song)
    named = [e async for e in reader.events() if e.name != "comment"]
    assert [e.name for e in named].count("error") == 1
    error = named[-1]
    assert error.name == "error"
    assert set(error.data) == {"error", "details", "stage"}
    assert "timed out" in error.data["error"]
    task = await ChoreographyTask.objects.aget()
    assert (task.status, task.stage) == (TaskStatus.FAILED, error.data["stage"])
    assert runtimes.current.gate.stats()["running"] == 0


async def test_cancelling_the_reader_stops_the_generation(library, reconfigure, runtimes):
    """Django cancels the task sending the body when the client leaves: the generation stops,
    its row is failed with the stage and "client disconnected", its place is given back."""
    await reconfigure(**{"max_concurrent_assemblies": 1})
    song, _ = library
    client = TokenClient(await issue_token("alice"))
    blocker = runtimes.current.gate.reserve()
    async with blocker.slot():
        reader = await start_stream(client, song)
        seen: list = []
        got_one = asyncio.Event()

        async def consume() -> None:
            async for event in reader.events():
                seen.append(event)
                got_one.set()

        consumer = asyncio.create_task(consume())
        await asyncio.wait_for(got_one.wait(), 30)
        consumer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await consumer
        task = await ChoreographyTask.objects.aget(pk=seen[0].data["task_id"])
        assert (task.status, task.stage, task.error) == (
            TaskStatus.FAILED,
            "queued",
            "client disconnected",
        )
        assert runtimes.current.gate.stats()["waiting"] == 0


async def test_a_stream_nobody_reads_is_stopped_after_the_grace_period(
    library, reconfigure, monkeypatch, runtimes
):
    """If the client left before the body was ever read, the generation does not run on."""
    from choreography.api import streaming

    monkeypatch.setattr(streaming, "ATTACH_GRACE_S", 0.2)
    await reconfigure(**{"max_concurrent_assemblies": 1})
    song, _ = library
    client = TokenClient(await issue_token("alice"))
    blocker = runtimes.current.gate.reserve()
    async with blocker.slot():
        await start_stream(client, song)  # the body is never iterated
        assert runtimes.current.gate.stats()["waiting"] == 1

        async def stopped() -> bool:
            task = await ChoreographyTask.objects.afirst()
            return (
                runtimes.current.gate.stats()["waiting"] == 0 and task and task.status == "failed"
            )

        for _ in range(200):  # polls the database: up to 10 s on a busy machine
            if await stopped():
                break
            await asyncio.sleep(0.05)
    task = await ChoreographyTask.objects.aget()
    assert (task.status, task.error) == (TaskStatus.FAILED, "client disconnected")
