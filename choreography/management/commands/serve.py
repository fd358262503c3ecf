"""``manage.py serve``: migrate, make sure a library exists, check FFmpeg, run uvicorn.

Before serving it marks generations a previous (crashed or killed) process left running as
failed; on SIGTERM it stops the generations in flight (choreography.server).
"""

from __future__ import annotations

import time

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from assembly.errors import ChoreoError
from choreography.demo import create_demo_library
from choreography.models import Move, Song
from choreography.runtime import get_assembler
from choreography.server import serve
from choreography.services import fail_interrupted_tasks


class Command(BaseCommand):
    help = (
        "Apply migrations, create the demo library if the library is empty, and serve with uvicorn."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="uvicorn worker processes; the generation caps then apply per process",
        )
        parser.add_argument("--no-demo", action="store_true", help="do not create the demo library")

    def handle(self, *args, host: str, port: int, workers: int, no_demo: bool, **options) -> None:
        try:
            version = async_to_sync(get_assembler().ffmpeg_version)()
        except ChoreoError as exc:
            raise CommandError(f"{exc.message}. {exc.details}".strip()) from None
        self.stdout.write(f"FFmpeg: {version}")
        self.stdout.write(f"data directory: {settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=0)
        if not no_demo and not Song.objects.exists() and not Move.objects.exists():
            started = time.monotonic()
            self.stdout.write("library is empty: creating the demo library with FFmpeg...")
            songs, moves = async_to_sync(create_demo_library)()
            self.stdout.write(
                f"demo library ready: {songs} songs, {moves} moves "
                f"({time.monotonic() - started:.1f} s)"
            )
        interrupted = async_to_sync(fail_interrupted_tasks)()
        if interrupted:
            self.stdout.write(f"marked {interrupted} interrupted generation(s) as failed")
        self.stdout.write(f"serving on http://{host}:{port}/ (Ctrl-C to stop)")
        self.stdout.flush()
        serve(
            "asgi_project.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level=settings.CHOREO.log_level.lower(),
        )
