"""``manage.py import_song``: import one song, analysed for tempo, first downbeat and energy."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import CommandError

from choreography.library.batch import IMPORT_ERRORS, failure_reason, failure_status
from choreography.library.imports import import_song
from choreography.management.commands._database import DatabaseCommand, ensure_database
from choreography.runtime import run_sync


class Command(DatabaseCommand):
    help = (
        "Import a song into the library as AAC/M4A. Its tempo and first downbeat are detected "
        "unless given with --bpm / --first-beat; its per-phrase energy is always measured. "
        "Idempotent (content hash). Exit status 1 if the file is missing or cannot be decoded, "
        "or if the storage fails (e.g. S3 unreachable: run it again once it is back)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE")
        parser.add_argument("--title", required=True)
        parser.add_argument("--artist", default="")
        parser.add_argument("--bpm", type=float, help="tempo in beats per minute (default: detect)")
        parser.add_argument(
            "--first-beat",
            type=float,
            dest="first_beat",
            help="time of the first downbeat in seconds (default: detect)",
        )

    def handle(self, *args, file: Path, title, artist, bpm, first_beat, **options) -> None:
        if bpm is not None and not 20 <= bpm <= 400:
            raise CommandError(f"--bpm must be between 20 and 400, got {bpm}")
        if first_beat is not None and first_beat < 0:
            raise CommandError(f"--first-beat must be >= 0 seconds, got {first_beat}")
        if not file.is_file():
            self.stderr.write(f"skipped {file}: file not found")
            raise CommandError(f"{file}: file not found", returncode=1)
        ensure_database()
        started = time.monotonic()
        self.stdout.write(f"importing {file} (decode, normalize, analyse)...")
        try:
            song, created = run_sync(
                import_song, file, title=title, artist=artist, bpm=bpm, first_beat=first_beat
            )
        except IMPORT_ERRORS as exc:
            self.stderr.write(f"{failure_status(exc)} {file}: {failure_reason(exc)}")
            raise CommandError(f"{file} was not imported", returncode=1) from None
        if not created:
            self.stdout.write(f"already in the library as song {song.id} ({song.title!r})")
            return
        analysis = song.analysis
        self.stdout.write(
            f"imported song {song.id} {song.title!r} in {time.monotonic() - started:.1f} s: "
            f"{song.duration_seconds:.2f} s, {song.bpm:g} BPM ({analysis['bpm_source']}), "
            f"first downbeat {song.first_beat_seconds:.3f} s ({analysis['first_beat_source']}), "
            f"{len(song.energy_curve)} phrases, beat clarity {analysis['confidence']:.2f}"
        )
        if song.loudness_lufs is not None:
            self.stdout.write(
                f"loudness {song.loudness_input_lufs:g} LUFS -> {song.loudness_lufs:g} LUFS, "
                f"true peak {song.true_peak_dbtp:g} dBTP"
            )
