"""``manage.py prune_videos [--older-than DAYS]``: delete old unsaved results from storage and
their rows. Saved choreographies (choreography.collections) are never pruned; the default age is
CHOREO_UNSAVED_TTL_DAYS. Serving processes run the same ``prune`` on a schedule
(choreography.generation.pruning); this is the by-hand way."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError

from choreography.generation.pruning import prune
from choreography.management.commands._database import DatabaseCommand, ensure_database
from choreography.runtime import run_sync


class Command(DatabaseCommand):
    help = (
        "Delete unsaved generated videos (and their task rows) older than --older-than DAYS "
        "(default CHOREO_UNSAVED_TTL_DAYS); saved choreographies are never pruned."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--older-than", type=float, default=None, metavar="DAYS")
        parser.add_argument("--dry-run", action="store_true", help="only count what would go")

    def handle(self, *args, older_than: float | None, dry_run: bool, **options) -> None:
        if older_than is None:
            older_than = settings.CHOREO.unsaved_ttl_days
        if older_than < 0:
            raise CommandError("--older-than must be >= 0 days")
        ensure_database()
        rows, videos, failures = run_sync(
            lambda runtime: prune(older_than, storage=runtime.storage, dry_run=dry_run)
        )
        verb = "would delete" if dry_run else "deleted"
        for failure in failures:
            self.stderr.write(f"could not delete video of task {failure}")
        self.stdout.write(f"{verb} {rows} tasks and {videos} videos older than {older_than:g} days")
        if failures:
            raise CommandError(f"{len(failures)} videos could not be deleted")
