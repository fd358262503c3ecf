from django.urls import include, path

from choreography.api import account_pages as accounts
from choreography.api import collection_pages, health, media, pages, plan_pages
from choreography.api.app import api

urlpatterns = [
    path("", pages.index, name="index"),
    path("songs/<int:song_id>/preview/", pages.song_preview, name="song_preview"),
    path("signin/<str:uidb64>/<str:token>/", pages.sign_in, name="signin"),
    path("accounts/", accounts.account, name="account"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/login/", accounts.login_view, name="login"),
    path("accounts/logout/", accounts.logout, name="logout"),
    path("accounts/password_change/", accounts.password_change, name="password_change"),
    path(
        "accounts/password_change/done/",
        accounts.password_change_done,
        name="password_change_done",
    ),
    path("accounts/password_reset/", accounts.password_reset, name="password_reset"),
    path("accounts/password_reset/done/", accounts.password_reset_done, name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", accounts.password_reset_complete, name="password_reset_complete"),
    path("accounts/email/confirm/<str:token>/", accounts.confirm_email, name="confirm_email"),
    path("accounts/preferences/", accounts.save_preferences, name="preferences"),
    path("accounts/tokens/", accounts.create_token, name="create_token"),
    path("accounts/tokens/<str:prefix>/revoke/", accounts.revoke_token, name="revoke_token"),
    path("class-plans/", plan_pages.plans, name="class_plans"),
    path("class-plans/<int:plan_id>/print/", plan_pages.print_plan, name="class_plan_print"),
    path("studios/", include("choreography.studios.urls")),
    path("shared/<str:token>/", collection_pages.shared, name="shared"),
    path("shared/<str:token>/video/", collection_pages.shared_video, name="shared_video"),
    path("health/", health.health, name="health"),
    path("api/", api.urls),
    path("media/<path:key>", media.serve_media, name="media"),
]
