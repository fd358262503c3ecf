"""ApiToken leaves this app's state for ``accounts`` (``accounts.0003_apitoken``); its table,
``choreography_apitoken``, and its rows stay where they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("choreography", "0013_disk_safety"),
        ("accounts", "0003_apitoken"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken")],
            database_operations=[],
        ),
    ]
