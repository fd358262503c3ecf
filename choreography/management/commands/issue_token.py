"""``manage.py issue_token USERNAME [--days N]``: a new API token, expiring within
CHOREO_TOKEN_MAX_DAYS."""

from asgiref.sync import async_to_sync
from django.core.management.base import CommandError

from choreography.accounts.tokens import issue_token
from choreography.management.commands._database import DatabaseCommand, ensure_database


class Command(DatabaseCommand):
    help = "Create USERNAME if needed and print a new API token (its last line is the token)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--days",
            type=int,
            help="days until it expires (default and most: CHOREO_TOKEN_MAX_DAYS)",
        )

    def handle(self, *args, username: str, days: int | None = None, **options) -> None:
        ensure_database()
        try:
            token = async_to_sync(issue_token)(username, days=days)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(
            f"token for {username!r} (shown once; stored hashed; revoke with "
            f"`manage.py revoke_token --prefix {token[:12]}`):"
        )
        self.stdout.write(token)
