"""Health: is FFmpeg usable, and how busy is this process. Cheap enough to poll under load.

The real server answers GET /health/ from the ASGI layer (asgi_project.asgi), before Django's
middleware, most of which hops into a worker thread: under load each hop waits for a core, while
this stays a few awaits on the event loop. It still proves the loop is responsive.
"""

from __future__ import annotations

import shutil
import time

from django.conf import settings

from assembly.errors import ChoreoError
from choreography.admission import get_gate
from choreography.runtime import get_assembler

FFMPEG_VERSION_TTL_S = 60.0
_ffmpeg_versions: dict[str, tuple[float, str]] = {}


async def ffmpeg_status() -> str:
    """FFmpeg's version line; FFmpegNotFoundError when it is not on PATH.

    The version is cached per binary for a minute, so a health check costs no process spawn.
    """
    assembler = get_assembler()  # checks the binaries are on PATH, every call
    binary = shutil.which(settings.CHOREO.ffmpeg) or settings.CHOREO.ffmpeg
    cached = _ffmpeg_versions.get(binary)
    now = time.monotonic()
    if cached is not None and now - cached[0] < FFMPEG_VERSION_TTL_S:
        return cached[1]
    version = await assembler.ffmpeg_version()
    _ffmpeg_versions[binary] = (now, version)
    return version


async def health_report() -> tuple[int, dict]:
    """(200, FFmpeg version and generation counts) or (503, why FFmpeg is unusable)."""
    try:
        version = await ffmpeg_status()
    except ChoreoError as exc:
        return 503, {"status": "unavailable", "error": exc.message, "details": exc.details or None}
    return 200, {"status": "ok", "ffmpeg": version, "generations": get_gate().stats()}
