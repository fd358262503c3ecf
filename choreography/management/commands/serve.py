"""``manage.py serve``: migrate, make sure a library exists, check FFmpeg, run uvicorn.

Before serving it marks failed the generations whose owning process is gone (their lease
expired: choreography.generation.leases), never another live process's work; on SIGTERM it stops the generations in flight (choreography.server).

Several workers need a cache they share (REDIS_URL) for the log-in throttle to hold across them:
without one, ``--workers N`` refuses to start. They also share one directory of metrics
(``<data dir>/metrics``, emptied here before they start:
choreography.observability.multiprocess), so /metrics counts every worker. Proxy headers are
trusted only from CHOREO_TRUSTED_PROXIES.
"""

from __future__ import annotations

import contextvars
import os
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from assembly import ChoreoError
from choreography.accounts.signin import sign_in_path
from choreography.management.commands._address import base_url_for, recorded
from choreography.management.commands._database import ensure_database
from choreography.models import Move, Song
from choreography.observability import multiprocess
from choreography.runtime import check_storage, run_sync
from choreography.server import serve
from choreography.studios.models import Studio
from storage import StorageError


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
        parser.add_argument(
            "--demo-moves",
            type=int,
            default=None,
            help="build only this many demo moves, spread over levels, energies and views "
            "(default: all 48; the tests use a subset)",
        )
        parser.add_argument(
            "--graceful-timeout",
            type=float,
            default=30.0,
            help="seconds SIGTERM waits for in-flight requests before cancelling them",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        workers: int,
        no_demo: bool,
        demo_moves: int | None,
        graceful_timeout: float,
        **options,
    ) -> None:
        if workers > 1 and not settings.CHOREO.redis_url:
            raise CommandError(
                f"--workers {workers} needs a cache the workers share, or each one keeps its own "
                "log-in throttle counts (a guesser gets N times the attempts): set REDIS_URL "
                "(e.g. redis://127.0.0.1:6379/0) or run one worker"
            )
        try:
            version = run_sync(lambda runtime: runtime.ffmpeg_version())
        except ChoreoError as exc:
            raise CommandError(f"{exc.message}. {exc.details}".strip()) from None
        self.stdout.write(f"FFmpeg: {version}")
        self.stdout.write(f"storage: {self._check_storage()}")
        self.stdout.write(f"data directory: {settings.DATA_DIR}")
        ensure_database()
        call_command("collectstatic", interactive=False, verbosity=0)
        fresh_library = not no_demo and not Song.objects.exists() and not Move.objects.exists()
        if fresh_library:
            # Imported here: it synthesizes with NumPy, which a server never needs otherwise.
            from choreography.library.demo import create_demo_library

            started = time.monotonic()
            self.stdout.write("library is empty: creating the demo library with FFmpeg...")
            songs, moves = run_sync(
                create_demo_library, warm=False, move_count=demo_moves, progress=self._progress
            )
            # Its tempo variants are rendered by the server in the background (the workers
            # inherit the setting); a request before that renders the ones it needs.
            os.environ["CHOREO_WARM_ON_START"] = "1"
            settings.CHOREO = settings.CHOREO.model_copy(update={"warm_on_start": True})
            self.stdout.write(
                f"demo library ready: {songs} songs, {moves} moves "
                f"({time.monotonic() - started:.1f} s); its tempo variants are rendered in the "
                "background"
            )
        if fresh_library and settings.CHOREO.env == "demo":
            # Its accounts (demo teaches, student joined) only where the demo's sign-in links are.
            from choreography.studios.demo import create_demo_studio

            started = time.monotonic()
            made = run_sync(create_demo_studio)
            self.stdout.write(
                f"demo studio ready: {made.created_moves} moves filmed, uploaded and cut "
                f"({time.monotonic() - started:.1f} s)"
            )
        if not no_demo and settings.CHOREO.env == "demo":
            self._front_door_demo()
        interrupted = run_sync(lambda runtime: runtime.leases.fail_expired())
        if interrupted:
            self.stdout.write(f"marked {interrupted} interrupted generation(s) as failed")
        base_url = base_url_for(host, port)
        if not settings.CHOREO.public_url:
            # Links in answers use this origin (never a request's Host); workers inherit it.
            os.environ["CHOREO_PUBLIC_URL"] = base_url
            settings.CHOREO = settings.CHOREO.model_copy(update={"public_url": base_url})
        if settings.CHOREO.env == "demo":
            demo_user, _ = get_user_model().objects.get_or_create(username="demo")
            self.stdout.write(f"sign in (one-time link): {base_url}{sign_in_path(demo_user)}")
            if studio := Studio.objects.filter(instructor=demo_user).first():
                self.stdout.write(f"demo's studio (instructor): {base_url}/studios/{studio.pk}/")
                if student := studio.memberships.select_related("user").first():
                    link = sign_in_path(student.user)
                    self.stdout.write(
                        f"its student {student.user} (one-time link): {base_url}{link}"
                    )
        if workers > 1:
            shared = multiprocess.prepare(settings.DATA_DIR)
            self.stdout.write(f"metrics: the {workers} workers add up their values in {shared}")
        self.stdout.write(f"serving on {base_url}/ (Ctrl-C to stop)")
        self.stdout.flush()
        with recorded(settings.CHOREO.public_url):  # for signin_link
            serve(
                "asgi_project.asgi:application",
                host=host,
                port=port,
                workers=workers,
                log_level=settings.CHOREO.log_level.lower(),
                graceful_timeout=graceful_timeout,
                trusted_proxies=settings.CHOREO.trusted_proxies,
            )

    def _front_door_demo(self) -> None:
        """The front door's demo choreography, made once (a failure is reported, not fatal)."""
        from choreography.frontdoor.demo import ensure_front_door_demo

        started = time.monotonic()
        try:
            # In a context of its own: the generation's log context (task, user) stays there
            # instead of tagging every later line of this process.
            made = contextvars.copy_context().run(run_sync, ensure_front_door_demo)
        except ChoreoError as exc:
            self.stdout.write(f"front door demo not made: {exc.message} ({exc.stage})")
            return
        if made is not None and made.created:
            self.stdout.write(
                f"front door demo ready: {made.saved.title!r} ({time.monotonic() - started:.1f} s)"
            )

    def _progress(self, line: str) -> None:
        """A line of the demo build's progress, shown at once (stdout may be a pipe)."""
        self.stdout.write(line)
        self.stdout.flush()

    def _check_storage(self) -> str:
        """Reach the configured storage once; an unusable one stops start-up with one line."""
        config = settings.CHOREO
        if config.storage_backend == "s3":
            where = (
                f"s3 bucket {config.s3_bucket!r} at "
                f"{config.s3_endpoint_url or f'AWS S3 ({config.s3_region})'}"
            )
            variables = f"S3_BUCKET={config.s3_bucket}"
            if config.s3_endpoint_url:
                variables += f", S3_ENDPOINT_URL={config.s3_endpoint_url}"
        else:
            where, variables = f"local disk at {settings.MEDIA_ROOT}", "CHOREO_DATA_DIR"
        try:
            run_sync(check_storage)
        except StorageError as exc:
            raise CommandError(f"storage is not usable ({variables}): {exc}") from None
        return where
