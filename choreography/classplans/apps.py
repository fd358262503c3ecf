from django.apps import AppConfig


class ClassPlansConfig(AppConfig):
    name = "choreography.classplans"
    label = "classplans"
    verbose_name = "Class plans"
    default_auto_field = "django.db.models.BigAutoField"
