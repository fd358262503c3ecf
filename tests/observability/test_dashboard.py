"""The Grafana dashboard in the repo parses, and plots only metrics the app exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from choreography.observability.metrics import REGISTRY
from choreography.observability.storage_bytes import StorageCollector

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "choreo-dashboard.json"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exposed() -> set[str]:
    """Every sample name a scrape can show."""
    families = [*REGISTRY.collect(), *StorageCollector().describe()]
    return {family.name + suffix for family in families for suffix in SUFFIXES[family.type]}


def queried() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert exprs
    return {name for expr in exprs for name in re.findall(r"\bchoreo_\w+", expr)}


def test_every_metric_the_dashboard_queries_is_exposed():
    """No panel asks for a metric name the app does not have (a rename would leave it empty)."""
    assert queried() - exposed() == set()


def test_the_dashboard_plots_every_metric():
    """Each metric the app exposes has a panel (one sample name of each family at least)."""
    families = {family.name for family in (*REGISTRY.collect(), *StorageCollector().describe())}
    plotted = {name for name in queried() for family in families if name.startswith(family)}
    assert (
        plotted
        and families - {family for family in families if any(n.startswith(family) for n in plotted)}
        == set()
    )


def test_panels_have_unique_ids_and_the_prometheus_datasource():
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert {panel["datasource"]["type"] for panel in dashboard["panels"]} == {"prometheus"}
