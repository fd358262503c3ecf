"""``manage.py renormalize [--video-size WxH] [--fps N] [--crf N]``: rebuild the library's
canonical clips from their kept originals in another format, without re-importing."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import CommandError
from pydantic import ValidationError

from assembly import VideoFormat
from choreography.config import ChoreoConfig
from choreography.library.renormalize import Outcome, renormalize_library
from choreography.management.commands._database import DatabaseCommand, ensure_database
from choreography.management.commands._reporting import progress_line
from choreography.runtime import run_sync


class Command(DatabaseCommand):
    help = (
        "Rebuild every move's canonical clip (and its elementary stream and frame index) from its "
        "kept original, in the configured format or the one given by the flags. Moves already in "
        "that format are skipped, so an interrupted run is finished by running it again. A move "
        "that fails is named and skipped (exit status 1). Moves imported before originals were "
        "kept are counted: re-import them. The server joins only clips of its configured "
        "CHOREO_VIDEO_SIZE and CHOREO_VIDEO_FPS: set them to the new format and restart it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--video-size", metavar="WxH", help="default: CHOREO_VIDEO_SIZE")
        parser.add_argument("--fps", type=int, help="default: CHOREO_VIDEO_FPS")
        parser.add_argument("--crf", type=int, help="default: CHOREO_VIDEO_CRF")

    def handle(self, *args, video_size: str | None, fps: int | None, crf: int | None, **options):
        configured: ChoreoConfig = settings.CHOREO
        fmt = target_format(configured, video_size=video_size, fps=fps, crf=crf)
        ensure_database()
        started = time.monotonic()
        self.stdout.write(f"renormalizing the library to {fmt.label}...")

        def on_event(outcome: Outcome, done: int, total: int) -> None:
            line = progress_line(done, total, outcome.status, outcome.name, outcome.detail)
            (self.stderr if outcome.status == "failed" else self.stdout).write(line)

        report = run_sync(renormalize_library, fmt, on_event=on_event)
        self.stdout.write(
            f"done in {time.monotonic() - started:.1f} s: {report.count('rebuilt')} rebuilt, "
            f"{report.count('current')} already {fmt.label}, {len(report.failed)} failed"
        )
        if report.without_original:
            self.stderr.write(
                f"{len(report.without_original)} clips have no original; re-import them: "
                + ", ".join(report.without_original)
            )
        if fmt.frame != configured.video_format.frame:
            self.stderr.write(
                f"the server is configured for {configured.video_format.frame} and uses "
                f"only clips of that size and rate: set CHOREO_VIDEO_SIZE={fmt.width}x{fmt.height} "
                f"CHOREO_VIDEO_FPS={fmt.fps} CHOREO_VIDEO_CRF={fmt.crf} and restart it"
            )
        elif fmt.crf != configured.video_crf:
            self.stderr.write(f"set CHOREO_VIDEO_CRF={fmt.crf} so new imports match")
        for outcome in report.failed:
            self.stderr.write(f"  failed {outcome.name}: {outcome.detail}")
        if report.failed:
            raise CommandError(
                f"{len(report.failed)} clip(s) not rebuilt: run the same command again once "
                "fixed (what was rebuilt is skipped)",
                returncode=1,
            )


FLAGS = {"width": "--video-size", "height": "--video-size", "fps": "--fps", "crf": "--crf"}


def target_format(
    config: ChoreoConfig, *, video_size: str | None, fps: int | None, crf: int | None
) -> VideoFormat:
    """The configured format with the flags given; CommandError naming a bad flag."""
    update: dict[str, int] = {}
    if video_size is not None:
        width, sep, height = video_size.lower().partition("x")
        if not (sep and width.isdigit() and height.isdigit()):
            raise CommandError(
                f"--video-size: expected WIDTHxHEIGHT such as 1280x720, got {video_size!r}"
            )
        update |= {"width": int(width), "height": int(height)}
    if fps is not None:
        update["fps"] = fps
    if crf is not None:
        update["crf"] = crf
    try:
        return VideoFormat(**{**config.video_format.model_dump(), **update})
    except ValidationError as exc:
        err = exc.errors()[0]
        flag = FLAGS.get(str(err["loc"][0]), str(err["loc"][0])) if err["loc"] else "format"
        raise CommandError(f"{flag}: {err['msg']}, got {err['input']!r}") from None
