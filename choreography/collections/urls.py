"""The collections' pages: a shared choreography and its video."""

from django.urls import path

from choreography.collections import pages

urlpatterns = [
    path("shared/<str:token>/", pages.shared, name="shared"),
    path("shared/<str:token>/video/", pages.shared_video, name="shared_video"),
]
