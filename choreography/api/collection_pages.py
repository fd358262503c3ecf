"""The public page of a shared choreography: ``/shared/<token>/``, no sign-in needed."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from choreography import runtime
from choreography.api.downloads import task_video_filename
from choreography.api.pages import visitor
from choreography.collections import services
from choreography.errors import NotFoundError


@require_GET
async def shared(request: HttpRequest, token: str) -> HttpResponse:
    """Plays the shared video (a signed media link) with its move timeline; 404 when the link
    is unknown, revoked or expired."""
    await visitor(request)  # base.html's account menu reads it: never the lazy sync lookup
    try:
        saved = await services.shared(token)
    except NotFoundError:
        raise Http404("this shared link does not exist or has expired") from None
    task = saved.task
    result = task.result or {}
    response = render(
        request,
        "choreography/shared.html",
        {
            "saved": saved,
            "song": task.song,
            "parameters": task.parameters or {},
            "video_url": runtime.current().storage.url(
                result.get("video_key", ""), filename=task_video_filename(task)
            ),
            "timeline": result.get("timeline", []),
        },
    )
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
