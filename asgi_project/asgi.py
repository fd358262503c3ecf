"""ASGI entry point: ``uvicorn asgi_project.asgi:application``.

Django answers HTTP; the ASGI lifespan is handled here so the process-wide storage client is
closed when the server shuts down.
"""

import logging
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asgi_project.settings")

django_application = get_asgi_application()

logger = logging.getLogger("choreography.asgi")


async def application(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    await django_application(scope, receive, send)


async def _lifespan(receive, send) -> None:
    from choreography.runtime import close_storage

    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await close_storage()
            except Exception:
                logger.exception("closing the storage client failed")
            await send({"type": "lifespan.shutdown.complete"})
            return
