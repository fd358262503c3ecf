"""Builds the process-wide storage adapter and assembly service from Django settings, lazily."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from asgiref.sync import async_to_sync
from django.conf import settings

from asgi_project.config import ChoreoConfig
from assembly import AudioFormat, VideoAssemblyService, VideoFormat
from choreography.leases import instance_work_root
from storage import LocalStorage, Storage

if TYPE_CHECKING:
    from storage import S3Settings

P = ParamSpec("P")
R = TypeVar("R")


_adapters: dict[object, Storage] = {}
"""One adapter per distinct storage configuration, for the life of the process."""


def get_storage() -> Storage:
    """The process-wide adapter for the current storage settings, built on first use."""
    config = settings.CHOREO
    if config.storage_backend == "s3":
        identity: object = s3_settings(config)
    else:
        identity = ("local", Path(settings.MEDIA_ROOT))
    adapter = _adapters.get(identity)
    if adapter is None:
        adapter = _adapters[identity] = _build_storage(identity)
    return adapter


def _build_storage(identity: object) -> Storage:
    if isinstance(identity, tuple):
        from choreography.signing import sign_media

        return LocalStorage(
            identity[1], url_prefix="/media/", url_signer=lambda key: sign_media(key).path
        )
    from storage import S3Storage  # imports aioboto3: only when S3 is configured

    return S3Storage(identity)  # type: ignore[arg-type]


def s3_settings(config: ChoreoConfig) -> S3Settings:
    """Adapter settings from the validated environment; credentials come from the AWS chain."""
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


async def close_storage() -> None:
    """Release every adapter's client; call it before the event loop that used them ends."""
    for adapter in list(_adapters.values()):
        await adapter.aclose()


def run_sync(func: Callable[P, Awaitable[R]], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run ``func`` from sync code (management commands) in a fresh event loop.

    The storage client opened in that loop is released before the loop ends, so the next loop
    (uvicorn's, or another command step) opens its own.
    """

    async def main() -> R:
        try:
            return await func(*args, **kwargs)
        finally:
            await close_storage()

    return async_to_sync(main)()


async def check_storage() -> None:
    """Reach the configured storage once (StorageError if not), then release the client."""
    storage = get_storage()
    try:
        await storage.check()
    finally:
        await storage.aclose()


def video_format() -> VideoFormat:
    width, height = settings.CHOREO.video_dimensions
    return VideoFormat(width=width, height=height, fps=settings.CHOREO.video_fps)


def audio_format() -> AudioFormat:
    return AudioFormat()


@functools.cache
def _assembly_slots() -> asyncio.Semaphore:
    return asyncio.Semaphore(settings.CHOREO.max_concurrent_assemblies)


def get_assembler() -> VideoAssemblyService:
    """A service per call (cheap) sharing the process-wide assembly slots and storage.

    Building it verifies FFmpeg is on PATH (FFmpegNotFoundError otherwise).
    """
    config = settings.CHOREO
    return VideoAssemblyService(
        get_storage(),
        work_root=instance_work_root(),
        video_format=video_format(),
        audio_format=audio_format(),
        ffmpeg=config.ffmpeg,
        ffprobe=config.ffprobe,
        timeout_s=config.assembly_timeout_s,
        max_concurrent_fetches=config.max_concurrent_fetches,
        assembly_slots=_assembly_slots(),
    )
