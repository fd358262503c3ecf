from django.urls import path

from choreography.api import health, media, pages
from choreography.api.app import api

urlpatterns = [
    path("", pages.index, name="index"),
    path("signin/<str:uidb64>/<str:token>/", pages.sign_in, name="signin"),
    path("health/", health.health, name="health"),
    path("api/", api.urls),
    path("media/<path:key>", media.serve_media, name="media"),
]
