"""Errors are JSON for API clients on every route, even those Django answers itself (404 for
an unknown URL, 405 for a wrong method, a CSRF 403, a 400 for a Host not in ALLOWED_HOSTS):
the body becomes ``{"error", "details", "stage"}``; the status and headers such as ``Allow``
are kept. HTML stays only where a browser asked for it (``Accept: text/html``) outside /api/.

It is the outermost middleware but one, so it also sees the responses Django makes from
exceptions raised in the other middleware (DisallowedHost in CommonMiddleware).
"""

from __future__ import annotations

from asgiref.sync import markcoroutinefunction
from django.http import HttpRequest, HttpResponse, JsonResponse

from assembly import ChoreoError
from choreography.api.responses import error_body

API_PREFIX = "/api/"
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def wants_html(request: HttpRequest) -> bool:
    return not request.path.startswith(API_PREFIX) and "text/html" in request.headers.get(
        "Accept", ""
    )


def errors_as_json(get_response):
    async def middleware(request: HttpRequest) -> HttpResponse:
        response = await get_response(request)
        if (
            response.status_code < 400
            or response.streaming
            or response.get("Content-Type", "").startswith("application/json")
            or wants_html(request)
        ):
            return response
        error = ChoreoError(
            response.reason_phrase.lower(),
            details=f"{request.method} {request.path}",
            stage="routing",
        )
        replacement = JsonResponse(error_body(error), status=response.status_code)
        for header in KEPT_HEADERS:
            if header in response:
                replacement[header] = response[header]
        return replacement

    markcoroutinefunction(middleware)
    return middleware


errors_as_json.async_capable = True
errors_as_json.sync_capable = False
