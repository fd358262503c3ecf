"""ASGI middleware that refuses request bodies over a size limit before anything reads them.

Media uploads (multipart ``POST /api/songs/`` and ``POST /api/moves/``) that carry credentials
(a bearer token or a session cookie) get their own, larger limit (CHOREO_MAX_UPLOAD_MB); every
other request keeps CHOREO_MAX_BODY_BYTES. Only staff may upload, but Django spools the whole
body to disk before the view can say so: without credentials a stranger could not be staff, so
a stranger never gets to send hundreds of megabytes.

Django's ASGI handler spools a whole body to a temporary file before the view runs; this stops
an oversized body at the door: a declared ``Content-Length`` over the limit is answered 413 at
once, and a chunked body is counted as it arrives and refused as soon as it passes the limit.
"""

from __future__ import annotations

import json

from choreography.api.responses import error_body
from choreography.errors import PayloadTooLargeError

SESSION_COOKIE = b"sessionid="
"""Django's default SESSION_COOKIE_NAME, as it appears in a Cookie header."""

UPLOAD_PATHS = frozenset({"/api/songs/", "/api/moves/"})
"""The routes that take a multipart media upload (choreography.api.library_admin)."""


class BodySizeLimit:
    def __init__(self, app, *, max_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max(max_bytes, max_upload_bytes or max_bytes)

    def limit_for(self, scope) -> tuple[int, str]:
        """(the limit, the setting that sets it) for this request."""
        if (
            scope.get("method") == "POST"
            and scope.get("path") in UPLOAD_PATHS
            and _header(scope, b"content-type").startswith(b"multipart/form-data")
            and _has_credentials(scope)
        ):
            return self.max_upload_bytes, "CHOREO_MAX_UPLOAD_MB"
        return self.max_bytes, "CHOREO_MAX_BODY_BYTES"

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(send, limit, setting, f"{declared} bytes declared")
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
            if total > limit:
                await self._refuse(send, limit, setting, f"more than {limit} bytes sent")
                return
            messages.append(message)
            if not message.get("more_body", False):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send, limit: int, setting: str, got: str) -> None:
        error = PayloadTooLargeError(
            "request body too large", details=f"at most {limit} bytes ({setting}); {got}"
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


def _has_credentials(scope) -> bool:
    """A bearer token or a session cookie is present (checked for real by the view)."""
    if _header(scope, b"authorization").lower().startswith(b"bearer "):
        return True
    return SESSION_COOKIE in _header(scope, b"cookie")


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _header(scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.lower()
    return b""
