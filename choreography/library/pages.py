"""The library on the web page: a signed-in dancer's preview of a song."""

from __future__ import annotations

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
)
from django.views.decorators.http import require_GET

from choreography.api.pages import media_url, visitor
from choreography.models import Song


@require_GET
async def song_preview(request: HttpRequest, song_id: int) -> HttpResponse:
    """A signed-in dancer's preview of a song: a redirect to its (signed) audio link."""
    user = await visitor(request)
    if not user.is_authenticated:
        return HttpResponseForbidden("sign in to listen")
    song = await Song.objects.filter(pk=song_id).only("audio_key").afirst()
    if song is None:
        raise Http404("no such song")
    response = HttpResponseRedirect(media_url(request, song.audio_key))
    response["Cache-Control"] = "private, no-store"
    return response
