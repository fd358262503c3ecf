from django.urls import path

from choreography import media, pages, views

urlpatterns = [
    path("", pages.index, name="index"),
    path("signin/<str:uidb64>/<str:token>/", pages.sign_in, name="signin"),
    path("static/<path:path>", pages.static_file, name="static"),
    path("health/", views.health, name="health"),
    path("api/songs/", views.songs, name="songs"),
    path("api/choreography/generate/", views.generate, name="generate"),
    path("media/<path:key>", media.serve_media, name="media"),
]
