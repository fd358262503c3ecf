"""The accounts' pages: sign-in by link, sign-up, log-in and out, passwords, the account page."""

from django.urls import path

from choreography.accounts import pages as accounts

urlpatterns = [
    path("signin/<str:uidb64>/<str:token>/", accounts.sign_in, name="signin"),
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
]
