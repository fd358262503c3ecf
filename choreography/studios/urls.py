"""The studio pages' URLs, included under /studios/ by choreography.urls."""

from django.urls import path

from choreography.studios import pages

urlpatterns = [
    path("instructor-request/", pages.ask, name="instructor_request"),
    path("join/<str:code>/", pages.join, name="studio_join"),
    path("<int:studio_id>/", pages.studio, name="studio"),
    path("<int:studio_id>/invite/", pages.renew_invite, name="studio_invite"),
    path("<int:studio_id>/invite/revoke/", pages.revoke_invite, name="studio_invite_revoke"),
    path(
        "<int:studio_id>/students/<int:user_id>/remove/",
        pages.remove_student,
        name="studio_remove_student",
    ),
]
