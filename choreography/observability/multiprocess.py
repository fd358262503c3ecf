"""One set of numbers over every worker of ``serve --workers N``.

prometheus_client's multiprocess mode: ``serve`` empties ``<data dir>/metrics`` and names it
in PROMETHEUS_MULTIPROC_DIR before uvicorn starts the workers (each is a fresh interpreter that
inherits the variable), so every worker writes its values to files there and a scrape, served by
any worker, adds them up. A worker that stops cleanly marks its live gauges dead at shutdown; a
scrape also drops the live gauges of a worker that died without a word (killed). Counters and
histograms of dead workers stay: totals never go back.

One process (``serve`` with one worker, tests, commands) keeps its values in memory: the
registry is read directly.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from assembly import observe_processes
from choreography.observability.metrics import REGISTRY, FFmpegMetrics
from choreography.observability.storage_bytes import StorageCollector

ENV = "PROMETHEUS_MULTIPROC_DIR"
LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w*?_(\d+)\.db$")


def prepare(data_dir: Path) -> Path:
    """Empty ``<data_dir>/metrics`` (a former run's files) and name it in the environment the
    workers inherit; call before they start."""
    directory = Path(data_dir) / "metrics"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[ENV] = str(directory)
    return directory


def shared_directory() -> str | None:
    """The directory this process writes its values to, or None when they are in memory
    (prometheus_client chose when it was imported)."""
    if values.ValueClass is values.MutexValue:
        return None
    return os.environ.get(ENV)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_dead(directory: str) -> list[int]:
    """Drop the live gauges of workers that are gone; their pids."""
    dead = sorted(
        {
            int(match.group(1))
            for name in os.listdir(directory)
            if (match := LIVE_GAUGE_FILE.match(name)) and not _alive(int(match.group(1)))
        }
    )
    for pid in dead:
        mark_process_dead(pid, directory)
    return dead


def exposition() -> bytes:
    """The metrics in the Prometheus text format (sync: the storage gauge queries the database)."""
    registry = CollectorRegistry(auto_describe=False)
    directory = shared_directory()
    if directory is None:
        registry.register(REGISTRY)
    else:
        sweep_dead(directory)
        MultiProcessCollector(registry, path=directory)
    registry.register(StorageCollector())
    return generate_latest(registry)


@contextlib.contextmanager
def observing() -> Iterator[None]:
    """For a serving process's life: FFmpeg processes are counted, and at the end (a worker
    stopping) its live gauges are marked dead."""
    try:
        with observe_processes(FFmpegMetrics()):
            yield
    finally:
        if (directory := shared_directory()) is not None:
            mark_process_dead(os.getpid(), directory)
