"""API errors are always JSON, even those Django or ninja answer themselves (404 for an unknown
URL, 405 for a wrong method, a CSRF 403): the body becomes ``{"error", "details", "stage"}``,
the status and headers such as ``Allow`` are kept."""

from __future__ import annotations

from asgiref.sync import markcoroutinefunction
from django.http import HttpRequest, HttpResponse, JsonResponse

API_PREFIX = "/api/"
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def api_errors_as_json(get_response):
    async def middleware(request: HttpRequest) -> HttpResponse:
        response = await get_response(request)
        if (
            response.status_code < 400
            or response.streaming
            or not request.path.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        replacement = JsonResponse(
            {
                "error": response.reason_phrase.lower(),
                "details": f"{request.method} {request.path}",
                "stage": "routing",
            },
            status=response.status_code,
        )
        for header in KEPT_HEADERS:
            if header in response:
                replacement[header] = response[header]
        return replacement

    markcoroutinefunction(middleware)
    return middleware


api_errors_as_json.async_capable = True
api_errors_as_json.sync_capable = False
