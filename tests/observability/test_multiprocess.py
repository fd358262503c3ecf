"""The multiprocess directory: emptied and named for the workers, dead workers' live gauges
dropped, and the values of several processes added up in one scrape."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from choreography.observability import multiprocess

ROOT = Path(__file__).resolve().parents[2]

WORKER = """
import django
django.setup()
from choreography.observability.metrics import generations_in_flight, RETIMING_IN_REQUESTS
RETIMING_IN_REQUESTS.inc(2)
generations_in_flight(running=1, queued=3)
"""


@pytest.fixture
def environ(monkeypatch):
    """The test's PROMETHEUS_MULTIPROC_DIR is gone afterwards (this process stays in memory)."""
    monkeypatch.setenv(multiprocess.ENV, "")


def test_prepare_empties_the_directory_and_names_it(tmp_path, environ):
    """A former run's files go; PROMETHEUS_MULTIPROC_DIR names the directory."""
    stale = tmp_path / "metrics" / "counter_1.db"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    directory = multiprocess.prepare(tmp_path)
    assert directory == tmp_path / "metrics" and list(directory.iterdir()) == []
    assert os.environ[multiprocess.ENV] == str(directory)


def test_a_dead_workers_live_gauges_are_dropped_a_live_ones_kept(tmp_path):
    """Only the files of a pid that is gone are removed; counters stay."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    for name in (f"gauge_livesum_{gone.pid}.db", f"gauge_livesum_{os.getpid()}.db"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / f"counter_{gone.pid}.db").write_bytes(b"")
    assert multiprocess.sweep_dead(str(tmp_path)) == [gone.pid]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"gauge_livesum_{os.getpid()}.db", f"counter_{gone.pid}.db"]
    )


def test_two_processes_values_are_added_up_and_a_dead_ones_gauges_dropped(tmp_path, environ):
    """Two processes write to one directory: a scrape adds up their counters and live gauges;
    once they are gone, their live gauges are dropped and their counters kept."""
    directory = multiprocess.prepare(tmp_path)
    env = {**os.environ, "CHOREO_DATA_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", WORKER], cwd=ROOT, env=env, check=True)

    def scrape() -> dict[str, float]:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(directory))
        return {s.name: s.value for f in registry.collect() for s in f.samples}

    assert scrape()["choreo_retiming_in_requests_total"] == 4
    assert scrape()["choreo_generations_queued"] == 6
    multiprocess.sweep_dead(str(directory))
    assert list(directory.glob("gauge_live*")) == []
    assert scrape()["choreo_retiming_in_requests_total"] == 4
    assert "choreo_generations_queued" not in scrape()
