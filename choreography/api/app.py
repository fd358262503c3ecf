"""The HTTP API object: authentication, OpenAPI, and the mapping of every failure to ChoreoError.

django-ninja gives async views, request validation with our pydantic schemas, and an OpenAPI
document generated from those same schemas (``/api/openapi.json``, docs at ``/api/docs``).
Everything ninja or Django raises is translated here into the ChoreoError family, so every
error leaves through ``choreography.api.responses.error_response`` in one shape.

Cancellation is untouched: ninja catches ``Exception`` only, so the ``CancelledError`` Django
raises in a view when the client disconnects still reaches our services (tests/test_live.py
checks it over a real socket, for plain and streaming responses).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Router
from ninja import errors as ninja_errors
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer

from assembly import ChoreoError
from choreography.accounts.callers import csrf_refusal
from choreography.accounts.tokens import authenticate_bearer
from choreography.api.responses import error_response
from choreography.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    UnsupportedMediaTypeError,
)

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``. No header: not this scheme (None); a bad one: 401."""

    async def __call__(self, request: HttpRequest):
        header = request.headers.get("Authorization")
        if not header:
            return None
        return await authenticate_bearer(header)

    def authenticate(self, request: HttpRequest, token: str):  # pragma: no cover - see __call__
        raise NotImplementedError


class SessionCookieAuth(APIKeyCookie):
    """Django's session (the web page); unsafe methods also need the CSRF token, in the
    X-CSRFToken header (a form field would mean parsing the body: an upload's, spooled)."""

    param_name = settings.SESSION_COOKIE_NAME

    async def __call__(self, request: HttpRequest):
        if self.param_name not in request.COOKIES:
            return None
        user = await request.auser()
        if not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and (refusal := csrf_refusal(request)):
            raise refusal  # judged on the X-CSRFToken header: a body is never parsed for it
        return user

    def authenticate(self, request: HttpRequest, key):  # pragma: no cover - see __call__
        raise NotImplementedError


class JsonOnlyParser(Parser):
    """A body is JSON only when it says so: a form post or text/plain is refused (415).

    Accepting JSON under any Content-Type lets a cross-site form submit a "simple" request
    (no CORS preflight) whose body the API would read as JSON. A string holding NUL (``\u0000``)
    is refused for every operation at once (400 naming where): PostgreSQL cannot store or even
    compare such text, so it would otherwise surface as a 500 deep in a query.
    """

    def parse_body(self, request: HttpRequest):
        if request.content_type != "application/json":
            raise UnsupportedMediaTypeError(
                "request body must be JSON",
                details=f"send Content-Type: application/json, not {request.content_type or 'none'!r}",
            )
        data = super().parse_body(request)
        if where := _nul_string_at(data):
            raise InvalidRequestError(
                f"invalid request: {where}: text must not contain NUL (\\u0000)",
                details=[{"field": where, "message": "text must not contain NUL (\\u0000)"}],
            )
        return data


def _nul_string_at(value, path: str = "") -> str:
    """The dotted path of the first string (or key) in ``value`` holding NUL, else ''."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else ""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return ""
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and "\x00" in key:
            return where
        if found := _nul_string_at(item, where):
            return found
    return ""


OPERATION_ID_MODULES = {
    "choreography.accounts.api": "choreography.api.accounts",
    "choreography.classplans.api": "choreography.api.classplans",
    "choreography.collections.api": "choreography.api.collections",
    "choreography.generation.api": "choreography.api.routes",
    "choreography.library.admin_api": "choreography.api.library_admin",
    "choreography.library.api": "choreography.api.catalog",
}
"""Operation ids are public (clients generate code from the OpenAPI document): each keeps the
module it was named after before the features took their HTTP with them."""


class ChoreoAPI(NinjaAPI):
    """NinjaAPI whose operation ids do not move when a view moves to its feature's package."""

    def get_openapi_operation_id(self, operation) -> str:
        module = operation.view_func.__module__
        name = f"{OPERATION_ID_MODULES.get(module, module)}_{operation.view_func.__name__}"
        return name.replace(".", "_")


api = ChoreoAPI(
    parser=JsonOnlyParser(),
    title="choreo",
    version="1",
    description=(
        "Turns a song and dance parameters into a choreography video in one request. "
        "Errors are always `{error, details, stage}`."
    ),
    urls_namespace="api",
    auth=[BearerTokenAuth(), SessionCookieAuth()],
)


def _field(loc) -> str:
    """``("body", "body", "difficulty")`` → ``difficulty``; ``("query", "page")`` → ``page``."""
    parts = [str(p) for p in loc]
    source = parts.pop(0) if parts else ""
    if source == "body" and parts and parts[0] == "body":
        parts.pop(0)
    return ".".join(parts) or source or "request"


def translate(exc: Exception) -> ChoreoError:
    """The ChoreoError that stands for ``exc`` (anything ninja or Django may raise)."""
    if isinstance(exc, ChoreoError):
        return exc
    if isinstance(exc, ninja_errors.ValidationError):
        problems = [{"field": _field(e.get("loc", ())), "message": e["msg"]} for e in exc.errors]
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return InvalidRequestError(f"invalid request: {summary}", details=problems)
    if isinstance(exc, ninja_errors.AuthenticationError):
        return AuthenticationError(
            "authentication required",
            details="send 'Authorization: Bearer <token>' or sign in",
        )
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLargeError(
            "request body too large",
            details=f"at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes",
        )
    if isinstance(exc, ninja_errors.HttpError):
        if exc.status_code == 400:
            cause = exc.__cause__
            if isinstance(cause, RequestDataTooBig | ChoreoError):
                return translate(cause)
            return InvalidRequestError(
                "request body is not valid JSON", details=str(cause or exc.message)
            )
        if exc.status_code == 401:
            return AuthenticationError(exc.message)
        if exc.status_code == 403:
            return PermissionDeniedError(exc.message)
        if exc.status_code == 404:
            return NotFoundError(exc.message)
    if isinstance(exc, Http404):
        return NotFoundError(str(exc) or "not found")
    return ChoreoError("internal error", details=type(exc).__name__)


def _any_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    error = translate(exc)
    if error.message == "internal error":
        logger.error("unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return error_response(error)


# ninja registers its own handlers for these; ours replace them (lookup follows the MRO).
for _kind in (Exception, Http404, ninja_errors.HttpError, ninja_errors.ValidationError):
    api.add_exception_handler(_kind, _any_error)


from choreography.accounts.api import router as accounts_router  # noqa: E402
from choreography.classplans.api import router as classplans_router  # noqa: E402
from choreography.collections.api import router as collections_router  # noqa: E402
from choreography.describe.api import router as describe_router  # noqa: E402
from choreography.generation.api import router as generation_router  # noqa: E402
from choreography.library.admin_api import add_staff_operations  # noqa: E402
from choreography.library.api import router as catalog_router  # noqa: E402
from choreography.studios.api import router as studios_router  # noqa: E402

ROUTERS: list[tuple[str, Router]] = [
    ("", add_staff_operations(catalog_router)),  # one path, one router: GET and POST /songs/
    ("", generation_router),
    ("", describe_router),
    ("/auth/", accounts_router),
    ("/class-plans/", classplans_router),
    ("/collections/", collections_router),
    ("", studios_router),
]
"""Every feature's router and its prefix under /api/, in one list: nothing registers itself."""

for _prefix, _router in ROUTERS:
    api.add_router(_prefix, _router)
