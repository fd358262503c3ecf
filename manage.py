#!/usr/bin/env python
"""Django's command-line utility for choreo."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asgi_project.settings")
    from django.core.management import execute_from_command_line

    from choreography.config import ConfigError

    try:
        execute_from_command_line(sys.argv)
    except ConfigError as exc:
        sys.exit(f"choreo: {exc}")


if __name__ == "__main__":
    main()
