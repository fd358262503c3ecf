from django.urls import path

from choreography import media, views

urlpatterns = [
    path("health/", views.health, name="health"),
    path("api/songs/", views.songs, name="songs"),
    path("api/choreography/generate/", views.generate, name="generate"),
    path("media/<path:key>", media.serve_media, name="media"),
]
