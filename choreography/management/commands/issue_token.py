from asgiref.sync import async_to_sync

from choreography.accounts.tokens import issue_token
from choreography.management.commands._database import DatabaseCommand, ensure_database


class Command(DatabaseCommand):
    help = "Create USERNAME if needed and print a new API token (its last line is the token)."

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
