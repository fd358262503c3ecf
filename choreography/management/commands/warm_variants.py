"""``manage.py warm_variants``: render the tempo variants every song of the library needs.

A song import does this for its own song; clips imported after the songs (``import_moves``)
are warmed here, or else rendered by the first generate request that plays them.
"""

from __future__ import annotations

import time

from django.core.management.base import CommandError

from assembly import ChoreoError
from choreography.library.variants import warm_library
from choreography.management.commands._database import DatabaseCommand, ensure_database
from choreography.runtime import run_sync


class Command(DatabaseCommand):
    help = "Render the missing tempo variants the library's songs need (see README)."

    def handle(self, *args, **options) -> None:
        ensure_database()
        started = time.monotonic()
        try:
            rendered = run_sync(warm_library)
        except ChoreoError as exc:
            raise CommandError(
                f"{exc.message} ({exc.stage}): {exc.details or ''}".strip()
            ) from None
        self.stdout.write(
            f"rendered {rendered} tempo variants in {time.monotonic() - started:.1f} s"
        )
