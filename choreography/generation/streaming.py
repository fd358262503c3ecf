"""A generation streamed as Server-Sent Events: run on the same POST, or followed from another.

The framing (events, keep-alives, the grace period, cancellation when the client leaves) is
``choreography.api.streaming``'s; this module gives it a generation to run: the task owns its
admission ticket, and a task cancelled before its first step is cleaned up here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from django.http import StreamingHttpResponse

from assembly import ChoreoError
from choreography.api.streaming import event_stream
from choreography.generation.service import (
    Admission,
    GenerationJob,
    ProgressListener,
    fail_unstarted,
    run_generation,
)
from choreography.models import ChoreographyTask


def generation_stream(
    job: GenerationJob,
    admission: Admission,
    *,
    render: Callable[[ChoreographyTask], dict],
    keepalive_s: float | None = None,
    prelude: Sequence[tuple[str, dict]] = (),
) -> StreamingHttpResponse:
    """Start the generation now and answer 200 text/event-stream relaying its events, after
    the ``prelude`` events (a description's interpretation steps)."""

    def never_started() -> None:
        # A task cancelled before its first step never enters run_generation: clean up here.
        admission.ticket.release()
        cleanups.add(asyncio.ensure_future(fail_unstarted(admission)))

    cleanups: set[asyncio.Future] = set()
    return event_stream(
        lambda listener: run_generation(job, admission, listener=listener),
        render=render,
        keepalive_s=keepalive_s,
        never_started=never_started,
        prelude=prelude,
    )


def follow_stream(
    outcome: asyncio.Future,
    *,
    render: Callable[[ChoreographyTask], dict],
    keepalive_s: float | None = None,
) -> StreamingHttpResponse:
    """Relay the end of a generation another request runs (an idempotent retry): keep-alives,
    then its completed or error event. Leaving stops only this stream, not the work."""

    async def wait(_listener: ProgressListener) -> ChoreographyTask:
        return unwrap(await asyncio.shield(outcome))

    return event_stream(wait, render=render, keepalive_s=keepalive_s)


def unwrap(outcome: ChoreographyTask | ChoreoError | None) -> ChoreographyTask:
    """A generation's announced outcome as the finished row, or its error raised."""
    if isinstance(outcome, ChoreoError):
        raise outcome
    if outcome is None:
        raise ChoreoError("the generation stopped", stage="unknown")
    return outcome
