"""Batch import for the management commands: bounded concurrency, one report line per file.

Files that are missing or that FFmpeg cannot decode are reported by name and skipped; the rest
are imported. Nothing here writes to the terminal: callers pass ``on_event``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assembly import ChoreoError
from choreography.library.imports import import_clip
from choreography.music.catalog import ClipJob, Skipped


@dataclass(frozen=True)
class ClipOutcome:
    name: str
    status: str
    """"imported", "present" (same content already in the library) or "skipped"."""
    detail: str = ""
    seconds: float = 0.0


@dataclass
class ImportReport:
    outcomes: list[ClipOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def skipped(self) -> list[ClipOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == "skipped"]


async def import_clip_jobs(
    jobs: Sequence[ClipJob],
    *,
    concurrency: int,
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
                move, created = await import_clip(job.path, job.meta)
            except (ChoreoError, OSError) as exc:
                reason = getattr(exc, "message", None) or str(exc)
                details = getattr(exc, "details", "")
                if details:
                    reason = f"{reason}: {str(details).strip().splitlines()[-1]}"
                outcome = ClipOutcome(str(job.path), "skipped", reason)
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
