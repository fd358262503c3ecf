"""The public page of a shared choreography: ``/shared/<token>/``, no sign-in needed.

The page links its video through ``/shared/<token>/video/``, which checks the share on every use
and redirects to the object: on local storage to a signed media link bound to the share (the
media view refuses it once the share is revoked), on S3 to a presigned URL that lives only
SHARED_PRESIGNED_TTL_S. Revoking a share thus ends its links at once; only a presigned URL a
viewer already holds outlives it, by at most that long.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_safe

from choreography.api.pages import visitor
from choreography.api.request_context import runtime_of
from choreography.collections import services
from choreography.collections.models import SavedChoreography
from choreography.errors import NotFoundError
from choreography.generation.downloads import task_video_filename
from choreography.generation.links import poster_url
from choreography.generation.selectors import beat_grid
from storage import LocalStorage

SHARED_PRESIGNED_TTL_S = 300
"""How long the presigned S3 URL behind a shared video lives (a revoked share's S3 link ends
after this; the page's own link at once)."""


async def _live_share(token: str) -> SavedChoreography:
    try:
        return await services.shared(token)
    except NotFoundError:
        raise Http404("this shared link does not exist or has expired") from None


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
async def shared(request: HttpRequest, token: str) -> HttpResponse:
    """The shared choreography in the practice player (read-only) with its move timeline; a page
    in the site's look, status 404, when the link is unknown, revoked or expired."""
    await visitor(request)  # base.html's account menu reads it: never the lazy sync lookup
    try:
        saved = await services.shared(token)
    except NotFoundError:
        return _private(render(request, "choreography/shared_gone.html", status=404))
    task = saved.task
    context = {
        "saved": saved,
        "song": task.song,
        "parameters": task.parameters or {},
        "timeline": (task.result or {}).get("timeline", []),
        "player": shared_player(request, saved),
    }
    return _private(render(request, "choreography/shared.html", context))


def shared_player(request: HttpRequest, saved: SavedChoreography) -> dict:
    """What the practice player shows of a live share (its ``task`` loaded): the video through
    the share's checked route, the poster, the moves and the beat grid."""
    result = saved.task.result or {}
    return {
        "video_url": reverse("shared_video", args=[saved.share_token]),
        "poster_url": poster_url(runtime_of(request).storage, result),
        "moves": result.get("timeline", []),
        **beat_grid(saved.task),
    }


@require_safe
async def shared_video(request: HttpRequest, token: str) -> HttpResponse:
    """Checks the share, then redirects to its video: a signed media link bound to the share
    (local storage) or a short-lived presigned URL (S3); 404 once the share is gone."""
    saved = await _live_share(token)
    task = saved.task
    key = (task.result or {}).get("video_key", "")
    if not key:
        raise Http404("this shared choreography has no video")
    runtime = runtime_of(request)
    storage = runtime.storage
    filename = task_video_filename(task)
    if isinstance(storage, LocalStorage):
        target = runtime.sign_media(key, filename=filename, share=services.share_ref(saved)).path
    else:
        target = storage.url(key, filename=filename, ttl_s=SHARED_PRESIGNED_TTL_S)
    return _private(HttpResponseRedirect(target))
