"""The front door (``/`` for a visitor who is not signed in): what choreo does, the demo
choreography playing in the practice player when there is one, sign up and log in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from choreography.collections.pages import shared_player
from choreography.frontdoor.demo import front_door_demo


async def front_door(request: HttpRequest) -> HttpResponse:
    """The page; the caller has loaded the visitor (``visitor(request)``)."""
    demo = await front_door_demo()
    context = {"demo": demo, "player": shared_player(request, demo) if demo else None}
    if demo is not None:
        context["timeline"] = (demo.task.result or {}).get("timeline", [])
        context["song"] = demo.task.song
    return render(request, "choreography/front_door.html", context)
