"""ApiToken moves here from the ``choreography`` app: state only, the table stays
``choreography_apitoken`` with its rows, indexes and constraints (nothing is copied).

The pair is this migration (the model enters this app's state, the admin's content type and its
permissions follow it) and ``choreography.0014_apitoken_to_accounts`` (the model leaves that
app's state). Both directions work on a database that already has tokens.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _move_content_type(apps, schema_editor, *, source: str, target: str) -> None:
    """The content type (and so the permissions granted on it) changes app, if nothing is
    in the way; one the target already has (a post_migrate ran in between) is kept."""
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if content_type.objects.using(db).filter(app_label=target, model="apitoken").exists():
        return
    content_type.objects.using(db).filter(app_label=source, model="apitoken").update(
        app_label=target
    )


def forwards(apps, schema_editor) -> None:
    _move_content_type(apps, schema_editor, source="choreography", target="accounts")


def backwards(apps, schema_editor) -> None:
    _move_content_type(apps, schema_editor, source="accounts", target="choreography")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_profile_is_instructor"),
        ("choreography", "0013_disk_safety"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ApiToken",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        (
                            "prefix",
                            models.CharField(
                                help_text="First characters, to tell tokens apart", max_length=12
                            ),
                        ),
                        (
                            "name",
                            models.CharField(
                                blank=True, help_text="What the owner calls it", max_length=100
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "expires_at",
                            models.DateTimeField(
                                blank=True, help_text="Refused after; never if empty", null=True
                            ),
                        ),
                        (
                            "last_used_at",
                            models.DateTimeField(
                                blank=True, help_text="Recorded at most once a minute", null=True
                            ),
                        ),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"db_table": "choreography_apitoken"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
