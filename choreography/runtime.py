"""The process-wide state of choreo in one object: storage, assembler, admission, leases,
scheduled pruning and the disk floor.

Like Starlette's ``app.state``: the ASGI lifespan builds one ``Runtime`` when the process
starts, puts it in the lifespan state (which the server copies into every request's
``scope["state"]``) and closes it at shutdown (asgi_project.asgi); a management command opens
one for the time it runs (``run_sync``); a test builds its own (tests/conftest.py).

It is passed, never fetched: an edge takes it from its request
(``choreography.api.request_context.runtime_of``) and hands it, or the pieces of it they need,
to the services as a keyword argument. Nothing here is cached at module level and there is no
"active" runtime to ask for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from asgiref.sync import async_to_sync
from django.conf import settings

from assembly import AudioFormat, VideoAssemblyService, VideoFormat
from choreography.config import ChoreoConfig
from choreography.diskspace import ensure_free_disk
from choreography.generation.admission import GenerationGate
from choreography.generation.leases import LeaseKeeper
from choreography.generation.pruning import Pruner
from choreography.generation.singleflight import SingleFlight
from choreography.medialinks import SignedLink, signed_link
from storage import LocalStorage, Storage

logger = logging.getLogger(__name__)

R = TypeVar("R")

FFMPEG_VERSION_TTL_S = 60.0

WarmUp = Callable[..., Awaitable[int]]
"""``warm_library(runtime=..., shuffled=True)`` (choreography.library.variants): the variants
rendered."""


def new_instance_id() -> str:
    """Unique across processes and restarts, readable in logs, rows and work dir names."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"


class Runtime:
    """Everything one server process holds for its whole life, opened once and closed once."""

    def __init__(
        self,
        config: ChoreoConfig,
        *,
        media_root: Path,
        work_root: Path,
        signed_links: bool = False,
    ) -> None:
        """``signed_links``: local storage hands out signed, expiring ``/media/`` links (as a
        server does) rather than bare paths."""
        self.config = config
        self.clock: Callable[[], float] = time.time
        """Wall-clock seconds for signed links (tests move it instead of sleeping)."""
        self.instance_id = new_instance_id()
        self.shared_work_root = Path(work_root)
        """Where every instance keeps its work dir (swept of dead instances' dirs)."""
        self.work_root = self.shared_work_root / self.instance_id
        """This process's own work dir: nobody else sweeps it while its lease is renewed."""
        self.storage: Storage = build_storage(
            config, Path(media_root), self._media_path if signed_links else None
        )
        self.disk_paths = [self.shared_work_root]
        """Where this process writes files: the disk floor is checked on their filesystems."""
        if config.storage_backend == "local":
            self.disk_paths.append(Path(media_root))
        self.gate = GenerationGate(
            slots=config.max_concurrent_assemblies,
            queue_size=config.queue_size,
            queue_timeout_s=config.queue_timeout_s,
        )
        self.leases = LeaseKeeper(
            instance_id=self.instance_id,
            lease_s=config.lease_s,
            work_root=self.work_root,
            shared_work_root=self.shared_work_root,
        )
        self.pruner = Pruner(
            instance_id=self.instance_id,
            interval_s=config.prune_interval_s,
            older_than_days=config.unsaved_ttl_days,
            storage=self.storage,
        )
        """Prunes old unsaved generations on a schedule, one process at a time (a work lease)."""
        self.renders = SingleFlight(slots=config.max_concurrent_assemblies)
        """Tempo variant renders: each once per process, at most one per assembly slot."""
        self._assembler: VideoAssemblyService | None = None
        self._ffmpeg_version: tuple[float, str] | None = None
        self._running: dict[object, asyncio.Future] = {}
        self._warming: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()

    @classmethod
    def from_settings(cls) -> Runtime:
        """A runtime for the Django settings in force (the validated environment)."""
        return cls(
            settings.CHOREO,
            media_root=settings.MEDIA_ROOT,
            work_root=settings.WORK_ROOT,
            signed_links=True,
        )

    def sign_media(
        self, key: str, *, filename: str | None = None, share: str | None = None
    ) -> SignedLink:
        """A signed link to local media, valid CHOREO_URL_TTL_S from this runtime's clock."""
        return signed_link(
            key, filename=filename, share=share, now=self.clock(), ttl_s=self.config.url_ttl_s
        )

    def _media_path(self, key: str, filename: str | None) -> str:
        return self.sign_media(key, filename=filename).path

    @property
    def video_format(self) -> VideoFormat:
        return self.config.video_format

    @property
    def audio_format(self) -> AudioFormat:
        return AudioFormat()

    @property
    def assembler(self) -> VideoAssemblyService:
        """The one assembly service, built (and FFmpeg looked up on PATH) on first use;
        FFmpegNotFoundError, not cached, while FFmpeg is missing."""
        if self._assembler is None:
            self._assembler = VideoAssemblyService(
                self.storage,
                work_root=self.work_root,
                video_format=self.video_format,
                audio_format=self.audio_format,
                ffmpeg=self.config.ffmpeg,
                ffprobe=self.config.ffprobe,
                timeout_s=self.config.assembly_timeout_s,
                max_concurrent_fetches=self.config.max_concurrent_fetches,
            )
        return self._assembler

    async def ffmpeg_version(self) -> str:
        """FFmpeg's version line, cached for a minute: a health check spawns no process."""
        assembler = self.assembler  # FFmpegNotFoundError when it is not on PATH
        now = time.monotonic()
        if self._ffmpeg_version is None or now - self._ffmpeg_version[0] > FFMPEG_VERSION_TTL_S:
            self._ffmpeg_version = (now, await assembler.ffmpeg_version())
        return self._ffmpeg_version[1]

    async def ensure_free_disk(self, *, action: str) -> None:
        """InsufficientStorageError (507) while free space is below CHOREO_MIN_FREE_DISK_MB."""
        await ensure_free_disk(
            self.disk_paths, floor_mb=self.config.min_free_disk_mb, action=action
        )

    def announce(self, task_id) -> asyncio.Future:
        """Register a generation running here; its future gets the finished row or the error."""
        future = self._running[task_id] = asyncio.get_running_loop().create_future()
        return future

    def retire(self, task_id) -> None:
        self._running.pop(task_id, None)

    def follow(self, task_id) -> asyncio.Future | None:
        """The outcome of a generation running in this process (an idempotent retry awaits it)."""
        return self._running.get(task_id)

    def spawn(self, work: Awaitable[object], *, name: str) -> asyncio.Task:
        """Run ``work`` in the background, owned by this runtime: kept until done, cancelled
        (and awaited) when the runtime closes. Its own errors are its business (logged here)."""
        task = asyncio.ensure_future(work)
        task.set_name(name)
        self._background.add(task)
        task.add_done_callback(self._background_done)
        return task

    def _background_done(self, task: asyncio.Task) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background work %s failed", task.get_name(), exc_info=task.exception())

    async def settle(self) -> None:
        """Wait until the background work started so far (and what it starts) has finished."""
        while self._background:
            await asyncio.wait(set(self._background))

    async def start(self, *, warm_up: WarmUp | None = None) -> None:
        """Start the background work of a serving process (lease renewal and sweeps, scheduled
        pruning, and, when CHOREO_WARM_ON_START is set, ``warm_up``: the library's tempo-variant
        warm-up, handed in by the server so the runtime imports no feature). Each takes this
        runtime, never another."""
        self.leases.start()
        self.pruner.start()
        if self.config.warm_on_start and warm_up is not None:
            self._warming = asyncio.create_task(self._warm_up(warm_up), name="warm tempo variants")

    async def _warm_up(self, warm_up: WarmUp) -> None:
        """Render the variants the library's songs need while the server already answers; a
        request meanwhile renders what it needs itself (the same single flight)."""
        started = time.monotonic()
        try:
            rendered = await warm_up(runtime=self, shuffled=True)
        except Exception:
            logger.exception("tempo variant warm-up failed; requests render what they need")
            return
        logger.info(
            "tempo variant warm-up: done in %.1f s (%d variants stored meanwhile)",
            time.monotonic() - started,
            rendered,
        )

    async def aclose(self) -> None:
        """Stop background work (an unfinished warm-up is cancelled: its FFmpeg killed and
        reaped, nothing half-stored) and release the storage client."""
        if self._warming is not None:
            self._warming.cancel()
            await asyncio.wait({self._warming})
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.wait(set(self._background))
        await self.pruner.stop()
        await self.leases.stop()
        await self.storage.aclose()


def build_storage(
    config: ChoreoConfig,
    media_root: Path,
    url_signer: Callable[[str, str | None], str] | None = None,
) -> Storage:
    if config.storage_backend == "s3":
        from storage import S3Storage  # imports aioboto3: only when configured

        return S3Storage(s3_settings(config))
    return LocalStorage(media_root, url_prefix="/media/", url_signer=url_signer)


def s3_settings(config: ChoreoConfig):
    """The S3 adapter's settings from the validated environment (credentials: the AWS chain)."""
    from storage import S3Settings

    assert config.s3_bucket, "validated by ChoreoConfig"
    return S3Settings(
        bucket=config.s3_bucket,
        endpoint_url=config.s3_endpoint_url,
        public_endpoint_url=config.s3_public_endpoint_url,
        region=config.s3_region,
        addressing_style=config.s3_style,
        key_prefix=config.s3_key_prefix,
        url_ttl_s=config.url_ttl_s,
    )


@contextlib.asynccontextmanager
async def opened(
    runtime: Runtime | None = None, *, serving: bool = False, warm_up: WarmUp | None = None
) -> AsyncIterator[Runtime]:
    """``runtime`` (default: one from the settings) for the block (``serving``: with its
    background work started), then closed."""
    runtime = runtime or Runtime.from_settings()
    try:
        if serving:
            await runtime.start(warm_up=warm_up)
        yield runtime
    finally:
        await runtime.aclose()


def run_sync(func: Callable[..., Awaitable[R]], /, *args, **kwargs) -> R:
    """Run ``func(*args, runtime=<a runtime of its own>, **kwargs)`` from sync code (management
    commands, sync admin views outside a server).

    The storage client it opens belongs to that call's event loop and is closed before the
    loop ends.
    """

    async def main() -> R:
        async with opened() as runtime:
            return await func(*args, runtime=runtime, **kwargs)

    return async_to_sync(main)()


async def check_storage(*, runtime: Runtime) -> None:
    """Reach the configured storage once; StorageError if it cannot be used."""
    await runtime.storage.check()
