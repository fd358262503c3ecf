"""What the guessing throttle costs per attempt, on local memory and on Redis, side by side.

    uv run python bench/throttle.py [--rounds 2000] [--redis redis://127.0.0.1:6379/15]

For each cache backend: the median and p99 of one failed login attempt's throttle work
(``attempt`` then ``failed``), and after how many failures for one account from one address the
next attempt is refused (429).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asgi_project.settings")
os.environ.setdefault("CHOREO_DATA_DIR", tempfile.mkdtemp(prefix="choreo-bench-"))

import django  # noqa: E402

django.setup()

from django.core.cache.backends.locmem import LocMemCache  # noqa: E402
from django.core.cache.backends.redis import RedisCache  # noqa: E402

from choreography.accounts import throttle  # noqa: E402
from choreography.errors import TooManyAttemptsError  # noqa: E402


async def measure(rounds: int) -> tuple[float, float, int]:
    """(median ms, p99 ms, failures before the first refusal)."""
    timings = []
    for i in range(rounds):
        ip, user = f"10.0.{i // 250}.{i % 250}", f"user-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        attempt = await throttle.attempt(scope="login", address=ip, account=user)
        await attempt.failed()
        timings.append((time.perf_counter() - started) * 1000)
    refused_after = 0
    while True:
        try:
            attempt = await throttle.attempt(scope="login", address="192.0.2.1", account="victim")
        except TooManyAttemptsError:
            break
        await attempt.failed()
        refused_after += 1
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99)], refused_after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()
    backends = {
        "locmem": LocMemCache("bench", {}),
        "redis": RedisCache(args.redis, {"KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}"}),
    }
    for name, backend in backends.items():
        throttle.cache = backend  # what settings.CACHES would give with or without REDIS_URL
        median, p99, refused_after = asyncio.run(measure(args.rounds))
        print(
            f"{name:7} attempt+failed per attempt: median {median:.3f} ms, p99 {p99:.3f} ms; "
            f"refused after {refused_after} failures"
        )


if __name__ == "__main__":
    main()
