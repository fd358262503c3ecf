from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand

from choreography.accounts.tokens import issue_token
from choreography.management.commands._database import NO_URL_CHECKS, ensure_database


class Command(BaseCommand):
    help = "Create USERNAME if needed and print a new API token (its last line is the token)."
    requires_system_checks = NO_URL_CHECKS

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        ensure_database()
        token = async_to_sync(issue_token)(username)
        self.stderr.write(
            f"token for {username!r} (shown once; stored hashed; revoke with "
            f"`manage.py revoke_token --prefix {token[:12]}`):"
        )
        self.stdout.write(token)
