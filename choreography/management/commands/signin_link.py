"""``manage.py signin_link USERNAME``: a one-time sign-in link on the address the server runs on.

The origin is, first found: ``--base-url``; ``--host``/``--port``; ``CHOREO_PUBLIC_URL``; the
address the ``serve`` running on this data directory recorded; else 127.0.0.1:8000, with a note.
"""

from django.conf import settings
from django.contrib.auth import get_user_model

from choreography.accounts.signin import sign_in_path
from choreography.management.commands._address import DEFAULT_URL, base_url_for, running_url
from choreography.management.commands._database import DatabaseCommand, ensure_database


class Command(DatabaseCommand):
    help = (
        "Print a one-time sign-in link for USERNAME (created if needed) for the web page, on the "
        "address of the server running on this data directory (or CHOREO_PUBLIC_URL)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--base-url", help="the origin to use, e.g. https://choreo.example")
        parser.add_argument("--host", help="the host serve listens on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, help="the port serve listens on")

    def handle(self, *args, username: str, base_url: str | None, host, port, **options) -> None:
        ensure_database()
        user, _ = get_user_model().objects.get_or_create(username=username)
        origin = base_url or self._origin(host, port)
        self.stdout.write(origin.rstrip("/") + sign_in_path(user))

    def _origin(self, host: str | None, port: int | None) -> str:
        if host is not None or port is not None:
            return base_url_for(host or "127.0.0.1", port or 8000)
        if settings.CHOREO.public_url:
            return settings.CHOREO.public_url
        if running := running_url():
            return running
        self.stderr.write(
            f"no server is running on {settings.DATA_DIR}: assuming {DEFAULT_URL} "
            "(give --port/--host or --base-url)"
        )
        return DEFAULT_URL
