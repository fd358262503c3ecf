"""GET /health/ latency while generations run: the event loop must stay responsive.

Starts ``manage.py serve`` on a throw-away data dir (the demo library is synthesized first),
keeps ``--generations`` generate requests in flight (several users, each under its per-user
cap) and probes /health/ from a separate thread every ``--interval`` seconds. Only probes
answered while the server itself reports ``--generations`` generations running are counted.
With ``--assemblies`` equal to ``--generations`` (the default) every one of them runs FFmpeg
at the same time, the harsh case on a 2-core machine.

    uv run python bench/health_under_load.py            # about a minute, most of it set-up
    uv run python bench/health_under_load.py --seconds 60

The last two lines are the median and the p99 in milliseconds; the exit code is 1 when the
p99 is not under ``--budget-ms`` (50).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import spawn_serve  # noqa: E402 - after the path is set


def start_server(data_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    """``serve`` through the tests' one helper (it builds the demo library: allow 5 minutes)."""
    return spawn_serve(env, data_dir / "serve.log", timeout=300)


def issue_token(env: dict[str, str], username: str) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", "issue_token", username],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.strip().splitlines()[-1]


class HealthProbe(threading.Thread):
    """Sequential GETs of ``path`` on its own connection; records (latency_s, running)."""

    def __init__(self, base: str, interval: float, path: str = "/health/") -> None:
        super().__init__(daemon=True)
        self.base, self.interval, self.path = base, interval, path
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                response = client.get(f"{self.base}{self.path}")
                elapsed = time.perf_counter() - started
                response.raise_for_status()
                if self.path != "/health/":  # the running count comes from /health/, untimed
                    response = client.get(f"{self.base}/health/")
                self.samples.append((elapsed, response.json()["generations"]["running"]))
                self.stop.wait(self.interval)


async def keep_generating(
    base: str, tokens: list[str], songs: list[int], count: int, until: float
) -> tuple[int, list[int]]:
    """Keep ``count`` generate requests in flight until ``until``; (completed, other statuses)."""
    completed, other = 0, []

    async def worker(index: int, client: httpx.AsyncClient) -> None:
        nonlocal completed
        token = tokens[index % len(tokens)]
        while time.monotonic() < until:
            response = await client.post(
                f"{base}/api/choreography/generate/",
                json={"song_id": random.choice(songs), "energy_level": "high"},
                headers={"Authorization": f"Bearer {token}"},
            )
            if response.status_code == 200:
                completed += 1
            else:
                other.append(response.status_code)
                await asyncio.sleep(0.2)

    limits = httpx.Limits(max_connections=count + 2)
    async with httpx.AsyncClient(timeout=600, limits=limits) as client:
        await asyncio.gather(*(worker(i, client) for i in range(count)))
    return completed, other


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument("--assemblies", type=int, default=None, help="default: --generations")
    parser.add_argument("--seconds", type=float, default=30.0, help="measuring window")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between probes")
    parser.add_argument("--budget-ms", type=float, default=50.0)
    parser.add_argument("--video-size", default="640x360")
    parser.add_argument(
        "--path", default="/health/", help="what to probe, e.g. /api/songs/ (through Django)"
    )
    args = parser.parse_args()
    users = max(1, (args.generations + 1) // 2)  # two each: the default per-user cap

    data_dir = Path(tempfile.mkdtemp(prefix="choreo-bench-"))
    env = {
        **os.environ,
        "CHOREO_DATA_DIR": str(data_dir),
        "CHOREO_VIDEO_SIZE": args.video_size,
        "CHOREO_MAX_CONCURRENT_ASSEMBLIES": str(args.assemblies or args.generations),
        "CHOREO_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "asgi_project.settings",
    }
    print(f"starting serve (data dir {data_dir}; creating the demo library)...")
    proc, port = start_server(data_dir, env)
    base = f"http://127.0.0.1:{port}"
    try:
        tokens = [issue_token(env, f"bench-{i}") for i in range(users)]
        songs = [song["id"] for song in httpx.get(f"{base}/api/songs/").json()["items"]]
        probe = HealthProbe(base, args.interval, args.path)
        warmup = 5.0
        until = time.monotonic() + warmup + args.seconds
        probe.start()
        started = time.monotonic()
        completed, other = asyncio.run(
            keep_generating(base, tokens, songs, args.generations, until)
        )
        elapsed = time.monotonic() - started
        probe.stop.set()
        probe.join()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data_dir, ignore_errors=True)

    loaded = [latency * 1000 for latency, running in probe.samples if running >= args.generations]
    running = [r for _, r in probe.samples]
    print(
        f"{completed} generations completed in {elapsed:.1f} s "
        f"({completed / elapsed:.2f}/s; {args.generations} in flight, "
        f"{args.assemblies or args.generations} assembling at once; other answers: {other or 'none'})"
    )
    print(
        f"{len(probe.samples)} probes of GET {args.path}, {len(loaded)} of them with "
        f">= {args.generations} generations running (mean running {statistics.mean(running):.1f})"
    )
    if len(loaded) < 20:
        print("too few probes under full load to measure")
        return 1
    median, p99 = statistics.median(loaded), percentile(loaded, 0.99)
    print(f"max {max(loaded):.1f} ms; budget p99 < {args.budget_ms:g} ms")
    label = "health" if args.path == "/health/" else f"GET {args.path}"
    print(f"{label} median: {median:.1f} ms")
    print(f"{label} p99: {p99:.1f} ms")
    return 0 if p99 < args.budget_ms else 1


if __name__ == "__main__":
    sys.exit(main())
