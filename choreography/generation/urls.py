"""The dancer's page (the generation's web edge)."""

from django.urls import path

from choreography.generation import pages

urlpatterns = [
    path("", pages.index, name="index"),
]
