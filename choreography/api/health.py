"""Health: is FFmpeg usable, and how busy is this process. Cheap enough to poll under load.

The real server answers GET /health/ from the ASGI layer (asgi_project.asgi), before Django's
middleware, most of which hops into a worker thread: under load each hop waits for a core, while
this stays a few awaits on the event loop. It still proves the loop is responsive.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from assembly import ChoreoError
from choreography.api.request_context import runtime_of
from choreography.runtime import Runtime


async def health_report(*, runtime: Runtime) -> tuple[int, dict]:
    """(200, FFmpeg version and generation counts) or (503, why FFmpeg is unusable)."""
    try:
        version = await runtime.ffmpeg_version()
    except ChoreoError as exc:
        return 503, {"status": "unavailable", "error": exc.message, "details": exc.details or None}
    return 200, {"status": "ok", "ffmpeg": version, "generations": runtime.gate.stats()}


@csrf_exempt  # it changes nothing; a POST should learn it is the wrong method (405)
@require_GET
async def health(request: HttpRequest) -> JsonResponse:
    """200 with the FFmpeg version (cached) and generation counts; 503 without FFmpeg.

    The ASGI app answers GET/HEAD before Django (asgi_project.asgi); this view serves the test
    client and gives other methods their 405.
    """
    status, payload = await health_report(runtime=runtime_of(request))
    return JsonResponse(payload, status=status)
