"""``manage.py import_moves``: import move clips, from files/directories or an annotation manifest."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from choreography.library.batch import NOT_IMPORTED, ClipOutcome, import_clip_jobs
from choreography.library.sources import (
    Defaults,
    ManifestError,
    jobs_from_manifest,
    jobs_from_paths,
)
from choreography.management.commands._database import DatabaseCommand, ensure_database
from choreography.management.commands._reporting import progress_line
from choreography.models import Difficulty, EnergyLevel, MoveRole, Style
from choreography.music.vocabulary import DEFAULT_DIFFICULTY, DEFAULT_ENERGY_LEVEL
from choreography.runtime import run_sync


class Command(DatabaseCommand):
    help = (
        "Import move clips into the library, normalized once to the canonical format. "
        "Give files or directories (metadata from the flags below, style and role derived from "
        "the file name), and/or --annotations FILE --root DIR for an annotation manifest. "
        "Idempotent (content hash). Missing or undecodable files are reported and skipped, files "
        "the storage could not take (e.g. S3 unreachable) are reported as failed; the exit status "
        "is then 1, and re-running the same command imports only what is missing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, metavar="FILES_OR_DIRS")
        parser.add_argument(
            "--annotations",
            type=Path,
            help='JSON manifest {"instructions", "move_categories", "clips": [...]}',
        )
        parser.add_argument(
            "--root",
            type=Path,
            help="directory the manifest's video_path values are relative to "
            "(default: the manifest's directory)",
        )
        parser.add_argument("--difficulty", choices=Difficulty.values, default=DEFAULT_DIFFICULTY)
        parser.add_argument("--energy", choices=EnergyLevel.values, default=DEFAULT_ENERGY_LEVEL)
        parser.add_argument("--style", choices=Style.values, help="default: from the file name")
        parser.add_argument(
            "--tempo", type=float, help="BPM the move is danced at (default: from its audio)"
        )
        parser.add_argument("--role", choices=MoveRole.values, help="default: from the file name")

    def handle(self, *args, paths, annotations, root, **options) -> None:
        if not paths and annotations is None:
            raise CommandError("nothing to import: give FILES_OR_DIRS and/or --annotations FILE")
        if options["tempo"] is not None and not 20 <= options["tempo"] <= 400:
            raise CommandError(f"--tempo must be between 20 and 400 BPM, got {options['tempo']}")
        ensure_database()
        defaults = Defaults(
            difficulty=options["difficulty"],
            energy_level=options["energy"],
            style=options["style"],
            tempo_bpm=options["tempo"],
            role=options["role"],
        )
        jobs, skipped = jobs_from_paths(paths, defaults)
        if annotations is not None:
            try:
                more, more_skipped = jobs_from_manifest(annotations, root or annotations.parent)
            except ManifestError as exc:
                raise CommandError(str(exc)) from None
            jobs += more
            skipped += more_skipped

        started = time.monotonic()
        self.stdout.write(f"importing {len(jobs)} clip(s)...")

        def on_event(outcome: ClipOutcome, done: int, total: int) -> None:
            line = progress_line(done, total, outcome.status, outcome.name, outcome.detail)
            (self.stderr if outcome.status in NOT_IMPORTED else self.stdout).write(line)

        report = run_sync(
            import_clip_jobs,
            jobs,
            concurrency=settings.CHOREO.max_concurrent_assemblies,
            on_event=on_event,
            already_skipped=skipped,
        )
        self.stdout.write(
            f"done in {time.monotonic() - started:.1f} s: {report.count('imported')} imported, "
            f"{report.count('present')} already in the library, {report.count('skipped')} skipped, "
            f"{report.count('failed')} failed"
        )
        for outcome in report.not_imported:
            self.stderr.write(f"  {outcome.status} {outcome.name}: {outcome.detail}")
        if report.count("failed"):
            self.stderr.write(
                "the storage failed: run the same command again once it works "
                "(what was imported is not imported twice)"
            )
        if report.not_imported:
            raise CommandError(f"{len(report.not_imported)} file(s) not imported", returncode=1)
