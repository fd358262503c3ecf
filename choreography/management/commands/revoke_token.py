from asgiref.sync import async_to_sync
from django.core.management.base import CommandError

from choreography.accounts.tokens import revoke_tokens
from choreography.management.commands._database import DatabaseCommand, ensure_database


class Command(DatabaseCommand):
    help = (
        "Revoke API tokens: one given in full, those starting with --prefix (as shown when "
        "issued), or all of --user's. A revoked token is refused (401) from then on."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("token", nargs="?", help="the full token to revoke")
        parser.add_argument("--prefix", help="revoke tokens whose first characters are these")
        parser.add_argument("--user", help="revoke every token of this username")

    def handle(self, *args, token=None, prefix=None, user=None, **options) -> None:
        ensure_database()
        try:
            count = async_to_sync(revoke_tokens)(token=token, prefix=prefix, username=user)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if count == 0:
            raise CommandError("no active token matched; nothing was revoked")
        self.stdout.write(f"revoked {count} token(s)")
