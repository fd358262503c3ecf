"""ASGI middleware that refuses request bodies over a size limit before anything reads them.

Django's ASGI handler spools a whole body to a temporary file before the view runs; this stops
an oversized body at the door: a declared ``Content-Length`` over the limit is answered 413 at
once, and a chunked body is counted as it arrives and refused as soon as it passes the limit.
"""

from __future__ import annotations

import json

from choreography.api.responses import error_body
from choreography.errors import PayloadTooLargeError


class BodySizeLimit:
    def __init__(self, app, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send, f"{declared} bytes declared")
            return
        if declared is not None:
            # The server holds the client to its Content-Length, so nothing more to count.
            await self.app(scope, receive, send)
            return
        # No length given (chunked): read up to the limit ourselves, then replay to the app.
        messages, total = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                messages.append(message)
                break
            total += len(message.get("body", b""))
            if total > self.max_bytes:
                await self._refuse(send, f"more than {self.max_bytes} bytes sent")
                return
            messages.append(message)
            if not message.get("more_body", False):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send, got: str) -> None:
        error = PayloadTooLargeError(
            "request body too large",
            details=f"at most {self.max_bytes} bytes (CHOREO_MAX_BODY_BYTES); {got}",
        )
        body = json.dumps(error_body(error)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
