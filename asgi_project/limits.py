"""ASGI middleware that decides who may send how large a body before anything reads it.

Every request body is limited to CHOREO_MAX_BODY_BYTES (64 KiB), except on the upload routes
of ``UPLOAD_ROUTES``: there the caller is resolved from the headers first (bearer token or
session with its X-CSRFToken header, ``choreography.accounts.callers``), and only a caller the
route's predicate admits (staff, for the library uploads) gets CHOREO_MAX_UPLOAD_MB. A stranger,
a made-up token or a session without its CSRF header is answered 401/403 at once, a signed-in
user the route does not admit 403, all before one byte of the body is read: Django's ASGI
handler would otherwise spool the whole body to a temporary file before the view could refuse.

Bodies are streamed, never collected: each ``http.request`` message goes on to the app as it
arrives, counted; past the limit the request is answered 413 and the app is told the client
went away (``http.disconnect``), so Django drops what it spooled. A declared Content-Length
over the limit is refused before the app starts. Every refusal closes the connection.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from assembly import ChoreoError
from choreography.api.responses import error_body, status_for
from choreography.errors import NotFoundError, PayloadTooLargeError, PermissionDeniedError


def is_staff(user, params: dict[str, str] | None = None) -> bool:
    return bool(user.is_active and user.is_staff)


async def teaches_studio(user, params: dict[str, str]) -> bool:
    """The user is the instructor of the studio named in the path (one indexed query)."""
    from choreography.studios.models import Studio  # the apps are loaded by now

    return await Studio.objects.filter(pk=int(params["studio_id"]), instructor=user).aexists()


@dataclass(frozen=True)
class UploadRoute:
    """A route that takes a large (multipart) body from the callers ``admits`` lets in."""

    method: str
    path: str
    """A regular expression the whole path matches; its named groups go to ``admits``."""
    admits: Callable[[object, dict[str, str]], bool | Awaitable[bool]]
    """Whether this (authenticated) user may send up to CHOREO_MAX_UPLOAD_MB here."""
    refusal: str
    details: str
    refused_as: type[ChoreoError] = PermissionDeniedError
    """NotFoundError where the route hides what the caller may not see (a studio)."""

    def matches(self, scope) -> dict[str, str] | None:
        """The path's parameters when this route takes the request; None otherwise."""
        if scope.get("method") != self.method:
            return None
        if not _header(scope, b"content-type").startswith(b"multipart/form-data"):
            return None
        found = re.fullmatch(self.path, scope.get("path", ""))
        return found.groupdict() if found else None


UPLOAD_ROUTES: tuple[UploadRoute, ...] = (
    UploadRoute("POST", "/api/songs/", is_staff, "staff only", "managing the library needs a staff user"),
    UploadRoute("POST", "/api/moves/", is_staff, "staff only", "managing the library needs a staff user"),
    UploadRoute(
        "POST", r"/api/studios/(?P<studio_id>[1-9][0-9]{0,17})/moves/", teaches_studio,
        "this studio does not exist", "only its instructor uploads moves to a studio",
        refused_as=NotFoundError,
    ),
)  # fmt: skip
"""The media uploads: the library's (choreography.library.admin_api, staff) and a studio's
moves (choreography.studios.api, its instructor only; anyone else is told it does not exist,
as the studio's own routes answer)."""


async def _caller(scope):
    # Imported on first use: the ORM and the session engine need Django's apps loaded, and
    # asgi_project.asgi imports this module before it builds the Django application.
    from choreography.accounts.callers import caller

    return await caller(scope)


class BodySizeLimit:
    def __init__(
        self,
        app,
        *,
        max_bytes: int,
        max_upload_bytes: int | None = None,
        routes: tuple[UploadRoute, ...] = UPLOAD_ROUTES,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max(max_bytes, max_upload_bytes or max_bytes)
        self.routes = routes

    async def limit_for(self, scope) -> tuple[int, str]:
        """(the limit, the setting that sets it) for this request; raises the ChoreoError that
        refuses a caller who wants to send a large body to an upload route and may not."""
        small = self.max_bytes, "CHOREO_MAX_BODY_BYTES"
        route, params = next(
            (
                (route, found)
                for route in self.routes
                if (found := route.matches(scope)) is not None
            ),
            (None, {}),
        )
        declared = _content_length(scope)
        if route is None or (declared is not None and declared <= self.max_bytes):
            return small  # nothing large to let in: the app authenticates as usual
        user = await _caller(scope)
        admitted = route.admits(user, params)
        if inspect.isawaitable(admitted):
            admitted = await admitted
        if not admitted:
            raise route.refused_as(route.refusal, details=route.details)
        return self.max_upload_bytes, "CHOREO_MAX_UPLOAD_MB"

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            limit, setting = await self.limit_for(scope)
        except ChoreoError as refusal:
            await _refuse(send, refusal)
            return
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, _too_large(limit, setting, f"{declared} bytes declared"))
            return
        await _Counted(self.app, limit, setting)(scope, receive, send)


class _Counted:
    """Runs the app with a receive that counts the body as it passes and a send that goes
    quiet once the door has answered 413 in the app's place."""

    def __init__(self, app, limit: int, setting: str) -> None:
        self.app, self.limit, self.setting = app, limit, setting
        self.received = 0
        self.started = False  # the app began its response: too late for a 413
        self.refused = False

    async def __call__(self, scope, receive, send) -> None:
        async def counted_receive():
            if self.refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    self.refused = True
                    if not self.started:
                        got = f"more than {self.limit} bytes sent"
                        await _refuse(send, _too_large(self.limit, self.setting, got))
                    return {"type": "http.disconnect"}  # Django drops what it spooled
            return message

        async def guarded_send(message):
            if self.refused:
                return
            self.started = True
            await send(message)

        await self.app(scope, counted_receive, guarded_send)


def _too_large(limit: int, setting: str, got: str) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        "request body too large", details=f"at most {limit} bytes ({setting}); {got}"
    )


async def _refuse(send, error: ChoreoError) -> None:
    """Answer ``error`` in the one error shape and close the connection (the body, if any,
    stays unread)."""
    body = json.dumps(error_body(error)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    status = status_for(error)
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="choreo"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


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
