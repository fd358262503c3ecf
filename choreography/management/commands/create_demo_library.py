import time

from django.core.management.base import CommandError

from assembly import ChoreoError
from choreography.library.demo import create_demo_library
from choreography.management.commands._database import DatabaseCommand, ensure_database
from choreography.runtime import run_sync
from choreography.studios.demo import create_demo_studio
from storage import StorageError


class Command(DatabaseCommand):
    help = "Synthesize the demo songs and move clips with FFmpeg and import them (idempotent)."

    def handle(self, *args, **options) -> None:
        ensure_database()
        started = time.monotonic()
        try:
            songs, moves = run_sync(
                create_demo_library, progress=lambda line: self.stdout.write(line)
            )
            library_s = time.monotonic() - started
            made = run_sync(create_demo_studio)
        except (ChoreoError, StorageError, ExceptionGroup) as exc:
            raise CommandError(_one_line(exc)) from None
        self.stdout.write(
            f"demo library: {songs} songs and {moves} moves created in {library_s:.1f} s"
        )
        self.stdout.write(
            f"demo studio {made.studio.name!r}: /studios/{made.studio.pk}/, {made.created_moves} "
            f"moves created in {time.monotonic() - started - library_s:.1f} s "
            "(instructor demo, student student)"
        )


def _one_line(exc: BaseException) -> str:
    """The first failure (clips are made concurrently, so errors may come as a group)."""
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    if isinstance(exc, ChoreoError):
        return f"{exc.message} (stage {exc.stage}). {exc.details}".strip()
    if isinstance(exc, StorageError):
        return f"the storage failed: {exc}"
    raise exc
