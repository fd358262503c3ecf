"""The library's pages: a song's preview."""

from django.urls import path

from choreography.library import pages

urlpatterns = [
    path("songs/<int:song_id>/preview/", pages.song_preview, name="song_preview"),
]
