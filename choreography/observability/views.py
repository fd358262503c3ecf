"""``GET /metrics``: the Prometheus text format, for staff and allowed addresses only.

Allowed: a caller from an address in CHOREO_METRICS_ALLOW (the client's address by the
trusted-proxy rule of choreography.api.request_context: an X-Forwarded-For counts only from
CHOREO_TRUSTED_PROXIES), or an active staff user signed in by API token or session. Anyone
else gets 403 with the API's error JSON (the same answer with or without credentials, so a
scanner learns nothing from it). The body is built off the event loop: the storage gauge
queries the database.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from assembly import ChoreoError
from choreography.accounts.callers import caller
from choreography.api.request_context import client_address, in_networks
from choreography.api.responses import error_response
from choreography.errors import PermissionDeniedError
from choreography.observability.multiprocess import exposition

REFUSED = PermissionDeniedError(
    "metrics are for staff and allowed addresses",
    details="sign in as staff (Authorization: Bearer <token>) or scrape from an address in "
    "CHOREO_METRICS_ALLOW",
    stage="metrics",
)


async def allowed(request: HttpRequest) -> bool:
    """Whether ``request`` may read the metrics (the module docstring says who)."""
    if in_networks(client_address(request), settings.CHOREO.metrics_allow_networks):
        return True
    scope = getattr(request, "scope", None)  # an ASGI request's (the headers caller reads)
    if scope is None:
        return False
    try:
        user = await caller(scope)
    except ChoreoError:
        return False
    return bool(user.is_staff)


@require_safe  # another method is a 405 (JSON: choreography.api.json_errors)
async def metrics(request: HttpRequest) -> HttpResponse:
    if not await allowed(request):
        return error_response(REFUSED)
    body = await sync_to_async(exposition)()
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
