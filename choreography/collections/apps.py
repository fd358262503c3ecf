"""The collections app: connects its answers to generation's announcements (receivers)."""

from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "choreography.collections"
    label = "collections"
    verbose_name = "Collections"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from choreography.collections import receivers

        receivers.connect()
