"""The web page for dancers: server-rendered shell, plain JavaScript, generation from it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from choreography.accounts import services
from choreography.api.pages import page_options, visitor
from choreography.classplans.services import is_instructor
from choreography.describe.service import EXAMPLES as DESCRIBE_EXAMPLES
from choreography.frontdoor.pages import front_door
from choreography.library import catalog
from choreography.library.catalog import SongFilters
from choreography.models import Song

SONG_PAGE_SIZE = 20


@require_GET
@ensure_csrf_cookie
async def index(request: HttpRequest) -> HttpResponse:
    user = await visitor(request)
    if not user.is_authenticated:
        return await front_door(request)
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
