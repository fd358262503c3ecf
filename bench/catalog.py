"""Catalog read latency on SQLite: 10,000 songs and 2,000 moves, in-process (AsyncClient).

    uv run python bench/catalog.py [--requests 200] [--songs 10000] [--moves 2000]

Seeds a throw-away SQLite database (migrated, then ``bulk_create``; ``search_text`` is set here
since ``bulk_create`` skips ``Song.save()``), then times ``--requests`` GETs of each case through
Django's AsyncClient: the song list without q, with q, with filters and an ordering, and the
move coverage at 120 BPM. Prints the median and p95 in milliseconds side by side; the exit code
is 1 when a p95 is not under ``--budget-ms`` (30).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.pop("DATABASE_URL", None)  # always a throw-away SQLite database in the data dir
os.environ["DJANGO_SETTINGS_MODULE"] = "asgi_project.settings"
os.environ["CHOREO_DATA_DIR"] = tempfile.mkdtemp(prefix="choreo-bench-catalog-")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import AsyncClient  # noqa: E402

from choreography.accounts.tokens import issue_token  # noqa: E402
from choreography.models import Move, Song  # noqa: E402
from choreography.music.vocabulary import Difficulty, EnergyLevel, MoveRole, Style  # noqa: E402

WORDS = [
    "amor",
    "corazón",
    "noche",
    "vida",
    "sueño",
    "obsesión",
    "propuesta",
    "mía",
    "beso",
    "luna",
    "fuego",
    "lágrimas",
    "recuerdo",
    "dolor",
    "cielo",
    "niña",
    "bonita",
    "loco",
    "querer",
    "bailar",
    "ojos",
    "alma",
    "perdón",
    "promesa",
]
ARTISTS = [
    "Aventura", "Romeo Santos", "Prince Royce", "Juan Luis Guerra", "Frank Reyes",
    "Anthony Santos", "Zacarías Ferreira", "Raulín Rodríguez", "Toby Love", "Xtreme",
]  # fmt: skip
GENRES = ("bachata", "bachata", "bachata", "salsa", "merengue", "kizomba")


def seed(songs: int, moves: int) -> None:
    rng = random.Random(7)
    rows = []
    for i in range(songs):
        title = " ".join(rng.sample(WORDS, rng.randint(1, 3))).title() + f" {i}"
        artist = rng.choice(ARTISTS)
        rows.append(
            Song(
                title=title,
                artist=artist,
                genre=rng.choice(GENRES),
                bpm=round(rng.uniform(95, 160), 1),
                duration_seconds=round(rng.uniform(120, 360), 2),
                first_beat_seconds=round(rng.uniform(0, 2), 3),
                energy_curve=[round(rng.random(), 4) for _ in range(40)],
                analysis={"bpm_source": "detected", "confidence": 0.8},
                audio_key=f"songs/{i}.m4a",
                content_hash=f"song-{i}",
                search_text=Song.search_text_for(title, artist),
            )
        )
    Song.objects.bulk_create(rows, batch_size=1000)
    Move.objects.bulk_create(
        [
            Move(
                name=f"move-{i}",
                label=f"Move {i}",
                clip_key=f"clips/{i}.mp4",
                duration_seconds=round(rng.uniform(2, 16), 2),
                frames=300,
                difficulty=rng.choice(list(Difficulty)),
                energy_level=rng.choice(list(EnergyLevel)),
                style=rng.choice(list(Style)),
                role=rng.choice([MoveRole.MOVE] * 8 + [MoveRole.INTRO, MoveRole.OUTRO]),
                tempo_bpm=round(rng.uniform(90, 170), 1),
                content_hash=f"move-{i}",
            )
            for i in range(moves)
        ],
        batch_size=1000,
    )


CASES = {
    "songs": "/api/songs/",
    "songs ?q": "/api/songs/?q=corazon",
    "songs filters+ordering": (
        "/api/songs/?genre=bachata&bpm_min=120&bpm_max=135&duration_max=300&ordering=-bpm&page=3"
    ),
    "moves coverage ?bpm=120": "/api/moves/coverage/?bpm=120",
}


async def measure(requests: int, token: str) -> dict[str, tuple[float, float, int]]:
    client = AsyncClient()
    headers = {"Authorization": f"Bearer {token}"}
    results = {}
    for name, path in CASES.items():
        for _ in range(5):  # warm-up
            await client.get(path, headers=headers)
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = await client.get(path, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code, response.content)
        body = response.json()
        size = body.get("total", len(body.get("cells", ())))
        timings.sort()
        p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
        results[name] = (statistics.median(timings), p95, size)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--songs", type=int, default=10_000)
    parser.add_argument("--moves", type=int, default=2_000)
    parser.add_argument("--budget-ms", type=float, default=30.0)
    args = parser.parse_args()

    logging.disable(logging.WARNING)  # one log line per request would be measured too
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seed(args.songs, args.moves)
    print(f"seeded {args.songs} songs, {args.moves} moves in {time.perf_counter() - started:.1f} s")
    token = asyncio.run(issue_token("bench"))
    results = asyncio.run(measure(args.requests, token))

    print(f"{'case':<26}{'total':>7}{'median ms':>12}{'p95 ms':>10}")
    for name, (median, p95, size) in results.items():
        print(f"{name:<26}{size:>7}{median:>12.2f}{p95:>10.2f}")
    return 0 if all(p95 < args.budget_ms for _, p95, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
