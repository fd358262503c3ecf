from django.urls import path

from choreography import media, views
from choreography.api import api

urlpatterns = [
    path("health/", views.health, name="health"),
    path("api/", api.urls),
    path("media/<path:key>", media.serve_media, name="media"),
]
