from django.urls import path

from choreography import media, pages, views
from choreography.api import api

urlpatterns = [
    path("", pages.index, name="index"),
    path("signin/<str:uidb64>/<str:token>/", pages.sign_in, name="signin"),
    path("health/", views.health, name="health"),
    path("api/", api.urls),
    path("media/<path:key>", media.serve_media, name="media"),
]
