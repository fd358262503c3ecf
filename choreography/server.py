"""uvicorn, with a shutdown that stops generations instead of waiting for them.

On SIGTERM or Ctrl-C uvicorn stops accepting connections and waits for requests in flight;
a generation can last minutes, so first the admission gate is closed (new generations get 503)
and every generation in flight is stopped: FFmpeg is killed and reaped, temp dirs removed, the
task rows marked failed with "server shutting down", and each client still gets an answer
(503 JSON, or an ``error`` event on a stream). Then uvicorn's own shutdown proceeds.

X-Forwarded-For and X-Forwarded-Proto are believed only from ``trusted_proxies``
(CHOREO_TRUSTED_PROXIES); with none, uvicorn's proxy headers are off (its default would trust
127.0.0.1, letting any client on the host choose its address).
"""

from __future__ import annotations

import logging

import uvicorn

from choreography.generation.admission import SHUTDOWN_REASON

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0


class GracefulServer(uvicorn.Server):
    async def shutdown(self, sockets=None) -> None:
        # The runtime the lifespan put in its state (asgi_project.asgi); none if start-up failed.
        runtime = self.lifespan.state.get("runtime")
        if runtime is not None:
            stopped = await runtime.gate.close(reason=SHUTDOWN_REASON, timeout=STOP_TIMEOUT_S)
            if stopped:
                logger.warning("stopped %d generation(s) for shutdown", stopped)
        await super().shutdown(sockets=sockets)


def serve(
    app: str,
    *,
    host: str,
    port: int,
    workers: int,
    log_level: str,
    graceful_timeout: float = 30,
    trusted_proxies: str = "",
) -> None:
    options = dict(
        host=host,
        port=port,
        lifespan="on",  # closes the storage client at shutdown (asgi_project.asgi.Lifespan)
        log_level=log_level,
        timeout_graceful_shutdown=graceful_timeout,
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=trusted_proxies or "",
    )
    if workers > 1:
        # Worker processes build uvicorn's own Server: each has its own runtime and queue (the
        # per-user cap is in the database, so it holds across them); in-flight generations end
        # with uvicorn's graceful timeout rather than at once.
        uvicorn.run(app, workers=workers, **options)
        return
    server = GracefulServer(uvicorn.Config(app, **options))
    server.run()
    if not server.started:
        raise SystemExit(3)  # as uvicorn.run does: the port was taken or start-up failed
