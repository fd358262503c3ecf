"""The class plans app: connects the check that keeps a planned choreography (receivers)."""

from django.apps import AppConfig


class ClassPlansConfig(AppConfig):
    name = "choreography.classplans"
    label = "classplans"
    verbose_name = "Class plans"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from choreography.classplans import receivers

        receivers.connect()
