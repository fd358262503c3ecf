"""Batch import for the management commands: bounded concurrency, one report line per file.

Files that are missing or that FFmpeg cannot decode are reported by name and skipped; files the
store could not take (an S3 outage) are reported as failed; the rest are imported. Either way
nothing is recorded for a file that was not imported, so a re-run retries exactly those (the
content hash makes it idempotent). Nothing here writes to the terminal: callers pass ``on_event``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assembly import ChoreoError
from choreography.library.imports import import_clip
from choreography.library.sources import ClipJob, Skipped
from storage import StorageError

if TYPE_CHECKING:
    from choreography.runtime import Runtime

IMPORT_ERRORS = (ChoreoError, StorageError, OSError)
"""What one file's import may fail with while the others go on; anything else is a bug."""
NOT_IMPORTED = ("skipped", "failed")


@dataclass(frozen=True)
class ClipOutcome:
    name: str
    status: str
    """"imported", "present" (same content already in the library), "skipped" (the file cannot
    be imported) or "failed" (the store failed: a re-run may succeed)."""
    detail: str = ""
    seconds: float = 0.0


@dataclass
class ImportReport:
    outcomes: list[ClipOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def not_imported(self) -> list[ClipOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status in NOT_IMPORTED]


def failure_status(exc: BaseException) -> str:
    """Why a file was not imported: "failed" when the store is at fault (a re-run may succeed),
    "skipped" when the file is."""
    return "failed" if isinstance(exc, StorageError) else "skipped"


def failure_reason(exc: BaseException) -> str:
    """One line: the error's message, and the last line of its details (FFmpeg's stderr)."""
    reason = getattr(exc, "message", None) or str(exc)
    details = str(getattr(exc, "details", "")).strip()
    return f"{reason}: {details.splitlines()[-1]}" if details else reason


async def import_clip_jobs(
    jobs: Sequence[ClipJob],
    *,
    concurrency: int,
    runtime: Runtime,
    on_event: Callable[[ClipOutcome, int, int], None] = lambda outcome, done, total: None,
    already_skipped: Sequence[Skipped] = (),
) -> ImportReport:
    """Import ``jobs`` at most ``concurrency`` at a time; ``on_event(outcome, done, total)``."""
    report = ImportReport()
    total = len(jobs) + len(already_skipped)
    for entry in already_skipped:
        report.outcomes.append(ClipOutcome(entry.name, "skipped", entry.reason))
        on_event(report.outcomes[-1], len(report.outcomes), total)
    slots = asyncio.Semaphore(max(1, concurrency))

    async def run(job: ClipJob) -> None:
        async with slots:
            started = time.monotonic()
            try:
                move, created = await import_clip(job.path, job.meta, runtime=runtime)
            except IMPORT_ERRORS as exc:
                outcome = ClipOutcome(str(job.path), failure_status(exc), failure_reason(exc))
            else:
                detail = f"{move.name} ({move.tempo_bpm:g} BPM {move.tempo_source}, {move.role})"
                outcome = ClipOutcome(
                    str(job.path),
                    "imported" if created else "present",
                    detail if created else f"already in the library as {move.name}",
                    time.monotonic() - started,
                )
        report.outcomes.append(outcome)
        on_event(outcome, len(report.outcomes), total)

    async with asyncio.TaskGroup() as group:
        for job in jobs:
            group.create_task(run(job))
    return report
