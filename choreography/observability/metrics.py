"""The app's metrics, and the one-line calls through which the other rooms report.

Every metric lives in ``REGISTRY`` (not prometheus_client's global one), so a scrape shows
exactly these. Under ``serve --workers N`` prometheus_client writes each value to the
multiprocess directory instead of memory (choreography.observability.multiprocess); the
gauges of work in flight are then summed over the live workers (``livesum``).

Label values come from the code, never from a request: routes are the resolved URL pattern
(``/api/choreography/videos/<task_id>/``, never the path), methods outside the usual
few are "other", stages and error kinds are the code's own names.
"""

from __future__ import annotations

import time
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from assembly import ChoreoError, ExitCause
from choreography.errors import (
    InsufficientStorageError,
    QuotaExceededError,
    ServerBusyError,
    ShuttingDownError,
    TooManyGenerationsError,
)

E = TypeVar("E", bound=BaseException)

REGISTRY = CollectorRegistry(auto_describe=True)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
"""Seconds, from a page to a long generation (a plain generate request lasts the whole run)."""

HTTP_REQUESTS = Counter(
    "choreo_http_requests",
    "HTTP requests answered, by method, route pattern and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "choreo_http_request_duration_seconds",
    "Time to the response (a stream's first byte), by method and route pattern",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
STAGE_LATENCY = Histogram(
    "choreo_generation_stage_duration_seconds",
    "Time a generation spent in each stage it finished (queued is the wait for a slot)",
    ["stage"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
GENERATIONS_RUNNING = Gauge(
    "choreo_generations_running",
    "Generations holding an assembly slot",
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
GENERATIONS_QUEUED = Gauge(
    "choreo_generations_queued",
    "Generations admitted and waiting for an assembly slot",
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
REFUSALS = Counter(
    "choreo_admission_refusals",
    "Generations refused before they ran, by reason",
    ["reason"],
    registry=REGISTRY,
)
FFMPEG_RUNNING = Gauge(
    "choreo_ffmpeg_processes_running",
    "FFmpeg/FFprobe processes running",
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
FFMPEG_EXITS = Counter(
    "choreo_ffmpeg_exits",
    "FFmpeg/FFprobe processes ended, by stage and cause (ok, error, timeout, cancelled, killed)",
    ["stage", "cause"],
    registry=REGISTRY,
)
RETIMING_IN_REQUESTS = Counter(
    "choreo_retiming_in_requests",
    "Generate requests that had to re-time clips themselves (a retiming stage)",
    registry=REGISTRY,
)
VARIANT_RENDERS = Counter(
    "choreo_variant_renders",
    "Tempo variants rendered (encoded with FFmpeg), wherever asked for",
    registry=REGISTRY,
)
VARIANT_LOOKUPS = Counter(
    "choreo_variant_lookups",
    "Tempo variants looked up, by origin (request, warm_up) and result (hit: stored; miss)",
    ["origin", "result"],
    registry=REGISTRY,
)
GENERATION_ERRORS = Counter(
    "choreo_generation_errors",
    "Generations that failed, by the stage they stopped in and the kind of error",
    ["stage", "error"],
    registry=REGISTRY,
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"
"""The route of a request no URL pattern matched (a 404 for an unknown path)."""


def observe_request(request, status: int, seconds: float) -> None:
    """Count one answered request under its route pattern (never its path)."""
    match = getattr(request, "resolver_match", None)
    route = "/" + match.route if match is not None else UNMATCHED
    method = request.method if request.method in METHODS else "other"
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    HTTP_LATENCY.labels(method=method, route=route).observe(seconds)


class StageClock:
    """Times the stages of one generation as it enters them: the stage left is observed."""

    def __init__(self) -> None:
        self.stage = ""
        self.since = 0.0

    def enter(self, stage: str) -> None:
        if stage == self.stage:
            return
        now = time.monotonic()
        if self.stage:
            STAGE_LATENCY.labels(stage=self.stage).observe(now - self.since)
        self.stage, self.since = stage, now
        if stage == "retiming":
            RETIMING_IN_REQUESTS.inc()


def generations_in_flight(*, running: int, queued: int) -> None:
    """This process's generations holding a slot and waiting for one."""
    GENERATIONS_RUNNING.set(running)
    GENERATIONS_QUEUED.set(queued)


def refusal_reason(exc: BaseException) -> str | None:
    """Why ``exc`` refused a generation, or None when it is not an admission refusal."""
    if isinstance(exc, TooManyGenerationsError):
        return "user_cap"
    if isinstance(exc, ServerBusyError):
        return "queue_timeout" if exc.stage == "queued" else "queue_full"
    if isinstance(exc, ShuttingDownError):
        return "shutting_down"
    if isinstance(exc, QuotaExceededError):
        return "quota"
    if isinstance(exc, InsufficientStorageError):
        return "disk_full"
    return None


def note_refusal(exc: BaseException) -> None:
    """Count ``exc`` if it refused a generation (anything else is ignored)."""
    if (reason := refusal_reason(exc)) is not None:
        REFUSALS.labels(reason=reason).inc()


def refused(exc: E) -> E:
    """``raise refused(ServerBusyError(...))``: count the refusal, then raise it."""
    note_refusal(exc)
    return exc


def generation_failed(exc: ChoreoError) -> None:
    GENERATION_ERRORS.labels(stage=exc.stage or "unknown", error=type(exc).__name__).inc()


def variant_lookups(*, hits: int, misses: int, in_request: bool) -> None:
    origin = "request" if in_request else "warm_up"
    if hits:
        VARIANT_LOOKUPS.labels(origin=origin, result="hit").inc(hits)
    if misses:
        VARIANT_LOOKUPS.labels(origin=origin, result="miss").inc(misses)


def variant_rendered() -> None:
    VARIANT_RENDERS.inc()


class FFmpegMetrics:
    """The FFmpeg runner's observer (assembly.ProcessObserver): processes running and ended."""

    def started(self, *, stage: str) -> None:
        FFMPEG_RUNNING.inc()

    def ended(self, *, stage: str, cause: ExitCause, seconds: float) -> None:
        FFMPEG_RUNNING.dec()
        FFMPEG_EXITS.labels(stage=stage, cause=cause).inc()
