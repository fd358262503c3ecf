"""``manage.py demo_contact_sheet OUT.png``: a labelled grid of frames of every demo move."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from choreography.library.contact_sheet import contact_sheet


class Command(BaseCommand):
    help = "Draw three frames of every demo move into a labelled PNG grid (no video encoded)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("output", type=Path, help="the PNG file to write")
        parser.add_argument("--size", default="320x180", help="size of each frame, WxH")

    def handle(self, *args, output: Path, size: str, **options) -> None:
        width, _, height = size.partition("x")
        if not (width.isdigit() and height.isdigit() and int(width) >= 64 and int(height) >= 36):
            raise CommandError(f"--size must be WxH of at least 64x36, not {size!r}")
        if not output.parent.is_dir():
            raise CommandError(f"no such directory: {output.parent}")
        sheet = contact_sheet(int(width), int(height))
        sheet.save(output)
        self.stdout.write(
            f"contact sheet of every demo move: {output} ({sheet.width}x{sheet.height})"
        )
