"""ApiToken moved from the ``choreography`` app to ``accounts`` by a state-only migration pair:
a database from before the move keeps its tokens (same table, same rows) both ways."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from choreography.accounts.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("choreography", "0013_disk_safety"), ("accounts", "0002_profile_is_instructor")]
AFTER = [("choreography", "0014_apitoken_to_accounts"), ("accounts", "0003_apitoken")]


def migrate(targets) -> MigrationExecutor:
    """Migrate to ``targets``; the executor's state then has the apps as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def apps_at(targets):
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def before_the_move():
    """The database as it was before the move; brought back to the latest state afterwards."""
    migrate(BEFORE)
    yield apps_at(BEFORE)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_tokens_made_before_the_move_are_the_accounts_tokens_after_it(before_the_move):
    """A token row written through the old model is read through the new one, content type and
    table unchanged; migrating back reads it through the old model again."""
    old_token = before_the_move.get_model("choreography", "ApiToken")
    user = before_the_move.get_model("auth", "User").objects.create(username="alice")
    old_token.objects.create(user_id=user.pk, token_hash="a" * 64, prefix="abc", name="laptop")
    content_type = ContentType.objects.get(model="apitoken")
    assert content_type.app_label == "choreography"

    migrate(AFTER)
    with pytest.raises(LookupError):
        apps_at(AFTER).get_model("choreography", "ApiToken")
    record = ApiToken.objects.get()
    assert (record.user_id, record.prefix, record.name) == (user.pk, "abc", "laptop")
    assert ApiToken._meta.db_table == "choreography_apitoken"
    assert ContentType.objects.get(pk=content_type.pk).app_label == "accounts"

    migrate(BEFORE)
    assert apps_at(BEFORE).get_model("choreography", "ApiToken").objects.get().prefix == "abc"
    assert ContentType.objects.get(pk=content_type.pk).app_label == "choreography"


def test_the_models_match_the_migrations():
    """No migration is missing: the state the migrations build is the models' state."""
    from django.apps import apps
    from django.db.migrations.autodetector import MigrationAutodetector
    from django.db.migrations.state import ProjectState

    executor = MigrationExecutor(connection)
    changes = MigrationAutodetector(
        executor.loader.project_state(), ProjectState.from_apps(apps)
    ).changes(graph=executor.loader.graph)
    assert changes == {}
