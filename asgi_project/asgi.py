"""ASGI entry point: ``uvicorn asgi_project.asgi:application``.

``manage.py serve`` is the supported way to run it: it also marks generations a crashed process
left running as failed, and stops in-flight generations on SIGTERM (see choreography.server).

Thin layers wrap Django: the ASGI lifespan is handled here so the process-wide storage client is
closed at shutdown; oversized bodies are refused at the door (asgi_project.limits); and
GET /health/ is answered before Django's middleware so it stays fast under load
(choreography.api.health).
"""

import json
import logging
import os

from django.conf import settings
from django.core.asgi import get_asgi_application

from asgi_project.limits import BodySizeLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asgi_project.settings")

django_application = get_asgi_application()

from choreography.api.health import health_report  # noqa: E402 - needs the apps loaded

logger = logging.getLogger("choreography.asgi")


class HealthFastPath:
    """Answers GET/HEAD /health/ on the event loop; everything else goes to the app."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if not (
            scope["type"] == "http"
            and scope["path"] == "/health/"
            and scope["method"] in ("GET", "HEAD")
        ):
            await self.app(scope, receive, send)
            return
        status, payload = await health_report()
        body = json.dumps(payload).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )


class Lifespan:
    """Handles ASGI lifespan messages: opens the process's Runtime (choreography.runtime) at
    start-up, closes it at shutdown."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        from choreography.runtime import opened

        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                lifetime = opened(serving=True)
                await lifetime.__aenter__()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await lifetime.__aexit__(None, None, None)
                except Exception:
                    logger.exception("closing the runtime failed")
                await send({"type": "lifespan.shutdown.complete"})
                return


application = Lifespan(
    HealthFastPath(
        BodySizeLimit(
            django_application,
            max_bytes=settings.CHOREO.max_body_bytes,
            max_upload_bytes=settings.CHOREO.max_upload_mb * 1024 * 1024,
        )
    )
)
