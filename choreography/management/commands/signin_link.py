from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from choreography.api.pages import sign_in_path
from choreography.management.commands._database import ensure_database


class Command(BaseCommand):
    help = "Print a one-time sign-in link for USERNAME (created if needed) for the web page."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, username: str, base_url: str, **options) -> None:
        ensure_database()
        user, _ = get_user_model().objects.get_or_create(username=username)
        self.stdout.write(base_url.rstrip("/") + sign_in_path(user))
