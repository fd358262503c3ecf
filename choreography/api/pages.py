"""The web page for dancers: server-rendered shell, plain JavaScript, session sign-in by link."""

from __future__ import annotations

from django.contrib.auth import alogin, get_user_model
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from choreography import runtime
from choreography.accounts import services
from choreography.accounts.signin import sign_in_path, sign_in_tokens  # noqa: F401 (re-exported)
from choreography.api.schemas import DifficultyValue, EnergyValue, GenerateRequest, StyleValue
from choreography.classplans.services import is_instructor
from choreography.describe.service import EXAMPLES as DESCRIBE_EXAMPLES
from choreography.library import catalog
from choreography.library.catalog import SongFilters
from choreography.models import Song

SONG_PAGE_SIZE = 20


async def visitor(request: HttpRequest):
    """The visitor (a user or AnonymousUser), also set as ``request.user``.

    An async view must take it this way: the lazy ``request.user`` of the auth middleware
    queries the database synchronously, which raises SynchronousOnlyOperation (a 500) when a
    template (base.html's account menu) reads ``user.is_authenticated`` in an async view.
    """
    request.user = await request.auser()
    return request.user


def media_url(key: str) -> str:
    """A URL the browser can load without headers: a signed local link or a presigned S3 URL."""
    return runtime.current().storage.url(key)


def page_options() -> dict:
    """Selector values, taken from the request schema so they are written down once."""
    return {
        "difficulties": list(DifficultyValue.__args__),  # type: ignore[attr-defined]
        "energy_levels": list(EnergyValue.__args__),  # type: ignore[attr-defined]
        "styles": list(StyleValue.__args__),  # type: ignore[attr-defined]
        "defaults": {
            "difficulty": GenerateRequest.model_fields["difficulty"].default,
            "energy_level": GenerateRequest.model_fields["energy_level"].default,
        },
    }


@require_GET
@ensure_csrf_cookie
async def index(request: HttpRequest) -> HttpResponse:
    user = await visitor(request)
    if not user.is_authenticated:
        return render(request, "choreography/signed_out.html", status=200)
    songs, total = await catalog.search_songs(SongFilters(), page=1, page_size=SONG_PAGE_SIZE)
    genres = [
        g async for g in Song.objects.order_by("genre").values_list("genre", flat=True).distinct()
    ]
    prefs = await services.get_preferences(user)
    options = {
        **page_options(),
        "defaults": {
            "difficulty": prefs.difficulty,
            "energy_level": prefs.energy_level,
            "style": prefs.style,
            "auto_save": prefs.auto_save,
        },
        "song_page_size": SONG_PAGE_SIZE,
    }
    return render(
        request,
        "choreography/index.html",
        {
            "songs": songs,
            "song_total": total,
            "song_pages": max(1, -(-total // SONG_PAGE_SIZE)),
            "genres": genres,
            "options": options,
            "username": user.get_username(),
            "display_name": prefs.display_name,
            "is_instructor": await is_instructor(user),
            "describe_examples": DESCRIBE_EXAMPLES,
        },
    )


@require_GET
async def song_preview(request: HttpRequest, song_id: int) -> HttpResponse:
    """A signed-in dancer's preview of a song: a redirect to its (signed) audio link."""
    user = await visitor(request)
    if not user.is_authenticated:
        return HttpResponseForbidden("sign in to listen")
    song = await Song.objects.filter(pk=song_id).only("audio_key").afirst()
    if song is None:
        raise Http404("no such song")
    response = HttpResponseRedirect(media_url(song.audio_key))
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
async def sign_in(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """A link from ``signin_link``/``serve`` signs its user in; a password-reset token does not."""
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        user = await get_user_model().objects.aget(pk=pk)
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        user = None
    if user is None or not sign_in_tokens.check_token(user, token):
        return render(request, "choreography/signed_out.html", {"invalid_link": True}, status=403)
    await alogin(request, user)
    return HttpResponseRedirect("/")
