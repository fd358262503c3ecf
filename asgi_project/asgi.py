"""ASGI entry point: ``uvicorn asgi_project.asgi:application``.

``manage.py serve`` is the supported way to run it: it also marks generations a crashed process
left running as failed, and stops in-flight generations on SIGTERM (see choreography.server).

Thin layers wrap Django: the ASGI lifespan is handled here: it builds the process's runtime,
puts it in the lifespan state (``scope["state"]["runtime"]``, which the server copies into every
request's scope) and closes it at shutdown; oversized bodies are refused at the door
(asgi_project.limits); and GET /health/ is answered before Django's middleware so it stays
fast under load (choreography.api.health).
"""

import json
import logging
import os
import traceback

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
        status, payload = await health_report(runtime=scope["state"]["runtime"])
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
    start-up, checks its storage, places it in the lifespan state (``scope["state"]``: the
    server hands a copy of that state to every request) and closes it at shutdown.

    The runtime is one ``async with`` held open from start-up to shutdown (as Starlette does), so
    it is closed exactly once; around it, the process's FFmpeg processes are counted for the
    metrics (choreography.observability). A failed start-up is reported as
    ``lifespan.startup.failed`` with the error: uvicorn then exits non-zero, even run plainly
    (``--lifespan auto``), instead of serving without a runtime.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        from choreography.library.variants import warm_library
        from choreography.observability.multiprocess import observing
        from choreography.runtime import check_storage, opened

        if "state" not in scope:  # a server without lifespan state cannot hand it to requests
            await receive()  # lifespan.startup
            await send(
                {
                    "type": "lifespan.startup.failed",
                    "message": "choreo could not start: the server gives no lifespan state "
                    '(scope["state"]); run it with uvicorn >= 0.24',
                }
            )
            return
        started = False
        await receive()  # lifespan.startup
        try:
            with observing():  # FFmpeg counted; a worker's live gauges go with it
                async with opened(serving=True, warm_up=warm_library) as runtime:
                    await check_storage(runtime=runtime)
                    scope["state"]["runtime"] = runtime
                    await send({"type": "lifespan.startup.complete"})
                    started = True
                    await receive()  # lifespan.shutdown
        except BaseException as exc:
            message = failure_message(exc)
            if started:
                logger.error("closing the runtime failed: %s", message)
                await send({"type": "lifespan.shutdown.failed", "message": message})
            else:
                await send({"type": "lifespan.startup.failed", "message": message})
            raise
        await send({"type": "lifespan.shutdown.complete"})


def failure_message(exc: BaseException) -> str:
    """One line for the errors choreo explains itself (storage, ChoreoError), else a traceback."""
    from assembly import ChoreoError
    from storage import StorageError

    if isinstance(exc, StorageError | ChoreoError):
        return f"choreo could not start: {exc}"
    return "choreo could not start:\n" + "".join(traceback.format_exception(exc))


application = Lifespan(
    HealthFastPath(
        BodySizeLimit(
            django_application,
            max_bytes=settings.CHOREO.max_body_bytes,
            max_upload_bytes=settings.CHOREO.max_upload_mb * 1024 * 1024,
        )
    )
)
