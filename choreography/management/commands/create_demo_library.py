import time

from django.core.management.base import BaseCommand

from choreography.library.demo import create_demo_library
from choreography.runtime import run_sync


class Command(BaseCommand):
    help = "Synthesize the demo songs and move clips with FFmpeg and import them (idempotent)."

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        songs, moves = run_sync(create_demo_library)
        self.stdout.write(
            f"demo library: {songs} songs and {moves} moves created "
            f"in {time.monotonic() - started:.1f} s"
        )
