"""Every command that reads or writes the database first brings it up to date, as ``serve``
does, so each works on a fresh data directory; an unreachable database is one line, no traceback."""

from __future__ import annotations

from django.core.checks import Tags
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor


class DatabaseCommand(BaseCommand):
    """A choreo command that works on the database and storage, not over HTTP.

    It runs every tagged system check except the URL configuration's, which import the whole
    HTTP API (every route's schemas, about 40 % of a command's start-up) that such a command
    never uses; ``serve`` and ``manage.py check`` run them all.
    """

    requires_system_checks = tuple(
        tag for name, tag in vars(Tags).items() if not name.startswith("_") and tag != Tags.urls
    )


def ensure_database() -> None:
    """Apply pending migrations (quietly; a no-op when there are none).

    ``migrate`` runs only when a migration is pending: with none it would still render every
    model's state and re-sync the content types and permissions, a sixth of a command's start-up.
    CommandError (exit status 1) naming the database when it cannot be reached or migrated.
    """
    try:
        executor = MigrationExecutor(connection)
        executor.loader.check_consistent_history(connection)  # as migrate does
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            call_command("migrate", interactive=False, verbosity=0)
    except DatabaseError as exc:
        raise CommandError(f"the database is not usable ({_where()}): {exc}") from None


def _where() -> str:
    """The database in words, never its password."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite at {params['NAME']}"
    host = f"{params.get('HOST') or 'localhost'}:{params.get('PORT') or 'default port'}"
    return f"{connection.vendor} database {params.get('NAME')!r} at {host} (DATABASE_URL)"
