"""Server-Sent Events framing on the same POST: progress, keep-alives, one final event.

The work runs in its own task; the response body is an async generator that relays the task's
events. When the client goes away Django cancels the body (or closes it); either way the
generator cancels the task and waits for its cleanup, so FFmpeg is stopped and the row is
marked failed before the request handler returns. What a generation streams (its job, its
admission) is ``choreography.generation.streaming``'s; this module knows only the framing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

from django.conf import settings
from django.http import StreamingHttpResponse

from assembly import ChoreoError
from choreography.api.responses import error_body

logger = logging.getLogger(__name__)

EVENT_STREAM = "text/event-stream"
KEEPALIVE = b": keep-alive\n\n"
ATTACH_GRACE_S = 10.0
"""A stream nobody starts reading within this time means the client left before it began."""

Result = TypeVar("Result")
ProgressListener = Callable[[dict], None]
"""Called with each progress event's data."""


def wants_event_stream(accept: str | None) -> bool:
    """True when the Accept header asks for text/event-stream (with q > 0)."""
    for part in (accept or "").split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if media.lower() != EVENT_STREAM:
            continue
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False


def format_event(event: str, data: dict) -> bytes:
    """One SSE event; JSON never contains a raw newline, so ``data`` is a single line."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def event_stream(
    work: Callable[[ProgressListener], Awaitable[Result]],
    *,
    render: Callable[[Result], dict],
    keepalive_s: float | None = None,
    never_started: Callable[[], None] | None = None,
    prelude: Sequence[tuple[str, dict]] = (),
) -> StreamingHttpResponse:
    """Run ``work`` in a task now and answer 200 text/event-stream with the ``prelude``
    events, its progress events, keep-alives and one final completed/error event."""
    events: asyncio.Queue[bytes | None] = asyncio.Queue()
    for name, data in prelude:
        events.put_nowait(format_event(name, data))
    started = False

    async def produce() -> None:
        nonlocal started
        started = True
        try:
            task = await work(lambda data: events.put_nowait(format_event("progress", data)))
            events.put_nowait(format_event("completed", render(task)))
        except ChoreoError as exc:
            events.put_nowait(format_event("error", error_body(exc)))
        except Exception as exc:  # the work logged it and marked its row
            internal = ChoreoError("internal error", details=type(exc).__name__)
            events.put_nowait(format_event("error", error_body(internal)))
        events.put_nowait(None)

    running = asyncio.create_task(produce(), name="generation-events")
    if never_started is not None:
        running.add_done_callback(lambda _: started or never_started())
    attached = asyncio.Event()
    asyncio.get_running_loop().call_later(
        ATTACH_GRACE_S, lambda: attached.is_set() or running.cancel()
    )
    keepalive = keepalive_s or settings.CHOREO.sse_keepalive_s
    response = StreamingHttpResponse(
        _relay(events, running, attached, keepalive), content_type=EVENT_STREAM
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


async def _relay(
    events: asyncio.Queue[bytes | None],
    running: asyncio.Task,
    attached: asyncio.Event,
    keepalive_s: float,
) -> AsyncIterator[bytes]:
    attached.set()
    try:
        while True:
            try:
                async with asyncio.timeout(keepalive_s):
                    item = await events.get()
            except TimeoutError:
                yield KEEPALIVE
                continue
            if item is None:
                return
            yield item
    finally:
        # Normal end: the task is done. Client gone (cancelled or closed): stop the work and
        # wait for its cleanup (FFmpeg reaped, temp dir removed, row marked failed).
        if not running.done():
            running.cancel()
        await asyncio.wait({running})
