from django.urls import path

from choreography import media, pages, views
from choreography.api import api

urlpatterns = [
    path("", pages.index, name="index"),
    path("signin/<str:uidb64>/<str:token>/", pages.sign_in, name="signin"),
    path("static/<path:path>", pages.static_file, name="static"),
    path("health/", views.health, name="health"),
    path("api/", api.urls),
    path("media/<path:key>", media.serve_media, name="media"),
]
