"""The accounts app: connects the password-change hook that revokes API tokens (signals)."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "choreography.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from choreography.accounts import signals

        signals.connect(get_user_model())
