"""``manage.py prune_videos [--older-than DAYS]``: delete old unsaved results from storage and
their rows. Saved choreographies (choreography.collections) are never pruned; the default age is
CHOREO_UNSAVED_TTL_DAYS."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from choreography import runtime
from choreography.management.commands._database import DatabaseCommand, ensure_database
from choreography.models import ChoreographyTask
from choreography.runtime import run_sync
from storage import StorageError


async def prune(older_than_days: float, *, dry_run: bool) -> tuple[int, int, list[str]]:
    """Delete unsaved videos and task rows older than the cut-off; saved ones stay.

    Returns (rows, videos, failures)."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    storage = runtime.current().storage
    rows = videos = 0
    failures: list[str] = []
    async for task in ChoreographyTask.objects.filter(
        created_at__lt=cutoff, saved__isnull=True
    ).order_by("created_at"):
        key = (task.result or {}).get("video_key")
        if dry_run:
            rows += 1
            videos += bool(key)
            continue
        if key:
            try:
                await storage.delete(key)
                videos += 1
            except StorageError as exc:  # keep the row so the video is not orphaned silently
                failures.append(f"{task.pk}: {exc}")
                continue
        await task.adelete()
        rows += 1
    return rows, videos, failures


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
        rows, videos, failures = run_sync(prune, older_than, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for failure in failures:
            self.stderr.write(f"could not delete video of task {failure}")
        self.stdout.write(f"{verb} {rows} tasks and {videos} videos older than {older_than:g} days")
        if failures:
            raise CommandError(f"{len(failures)} videos could not be deleted")
