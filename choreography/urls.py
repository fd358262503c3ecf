"""The site's URLs: each feature's pages, health, metrics, the API and media, listed explicitly."""

from django.urls import include, path

from choreography.accounts import urls as accounts_urls
from choreography.api import health, media
from choreography.api.app import api
from choreography.classplans import urls as classplans_urls
from choreography.collections import urls as collections_urls
from choreography.generation import urls as generation_urls
from choreography.library import urls as library_urls
from choreography.observability import views as observability
from choreography.studios import urls as studios_urls

urlpatterns = [
    path("", include(generation_urls)),
    path("", include(library_urls)),
    path("", include(accounts_urls)),
    path("", include(classplans_urls)),
    path("", include(collections_urls)),
    path("studios/", include(studios_urls)),
    path("health/", health.health, name="health"),
    path("metrics", observability.metrics, name="metrics"),
    path("api/", api.urls),
    path("media/<path:key>", media.serve_media, name="media"),
]
