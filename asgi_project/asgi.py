"""ASGI entry point: ``uvicorn asgi_project.asgi:application``."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asgi_project.settings")

application = get_asgi_application()
