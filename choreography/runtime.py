"""Builds the process-wide storage adapter and assembly service from Django settings, lazily."""

from __future__ import annotations

import asyncio
import functools

from django.conf import settings

from assembly import AudioFormat, VideoAssemblyService, VideoFormat
from storage import LocalStorage, Storage


@functools.cache
def get_storage() -> Storage:
    config = settings.CHOREO
    if config.storage_backend == "local":
        return LocalStorage(settings.MEDIA_ROOT, url_prefix="/media/")
    raise NotImplementedError(f"STORAGE_BACKEND={config.storage_backend!r} is not available yet")


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
        work_root=settings.WORK_ROOT,
        video_format=video_format(),
        audio_format=audio_format(),
        ffmpeg=config.ffmpeg,
        ffprobe=config.ffprobe,
        timeout_s=config.assembly_timeout_s,
        max_concurrent_fetches=config.max_concurrent_fetches,
        assembly_slots=_assembly_slots(),
    )
