"""Per-request context: the process's runtime, the client's address, a request id (echoed as
X-Request-ID), one access-log line and the request's metrics (choreography.observability).

The runtime is the one the ASGI lifespan built (asgi_project.asgi), which the server copies into
every request's ``scope["state"]``; ``runtime_of(request)`` is the one way an edge (view,
page, admin view, middleware) reaches it, to hand it on to the services.

The client's address is the TCP peer, unless the peer is one of CHOREO_TRUSTED_PROXIES (none
by default): then X-Forwarded-For is read from the right and the first address that is not a
trusted proxy is the client, the rule ``serve`` gives uvicorn (forwarded_allow_ips). Applying it
twice gives the same address, so it does not matter whether uvicorn already did.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from typing import TYPE_CHECKING

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest

from choreography.logcontext import request_id_var
from choreography.observability.metrics import observe_request

if TYPE_CHECKING:
    from choreography.runtime import Runtime

logger = logging.getLogger("choreography.requests")
SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


RUNTIME_KEY = "runtime"
"""The runtime's key in the ASGI lifespan state (``scope["state"]``)."""
WSGI_RUNTIME_KEY = "choreo.runtime"
"""Where a WSGI request (Django's sync test ``Client``) carries it: its environ (``META``)."""


def runtime_of(request: HttpRequest) -> Runtime:
    """The runtime serving ``request``: ``scope["state"]["runtime"]`` of an ASGI request, or
    ``META["choreo.runtime"]`` of a WSGI one; RuntimeError when the request has none (a server
    run without its lifespan, e.g. ``uvicorn --lifespan off``)."""
    scope = getattr(request, "scope", None)
    found = (scope.get("state") or {}).get(RUNTIME_KEY) if scope is not None else None
    if found is None:
        found = request.META.get(WSGI_RUNTIME_KEY)
    if found is None:
        raise RuntimeError(
            "this request carries no choreo Runtime: the ASGI lifespan puts one in "
            'scope["state"] (run the app with its lifespan: manage.py serve, or uvicorn '
            "--lifespan on)"
        )
    return found


def _host(entry: str) -> str:
    """The address in one X-Forwarded-For entry (``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``)."""
    entry = entry.strip()
    if entry.startswith("["):
        return entry[1:].partition("]")[0]
    if entry.count(":") == 1:
        return entry.partition(":")[0]
    return entry


def in_networks(host: str, networks: tuple[Network, ...]) -> bool:
    """Whether the address ``host`` is in one of ``networks`` (False for a non-address)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def resolve_client(peer: str, forwarded_for: str, proxies: tuple[Network, ...]) -> str:
    """The client's address: ``peer``, or when ``peer`` is a trusted proxy, the right-most
    X-Forwarded-For entry that is not one (the left-most if every entry is)."""
    if not proxies or not forwarded_for or not in_networks(peer, proxies):
        return peer
    hosts = [_host(entry) for entry in forwarded_for.split(",") if entry.strip()]
    for host in reversed(hosts):
        if not in_networks(host, proxies):
            return host
    return hosts[0] if hosts else peer


def client_address(request: HttpRequest) -> str:
    """The address the request came from, by the trusted-proxy rule (the module docstring)."""
    return resolve_client(
        request.META.get("REMOTE_ADDR") or "",
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.CHOREO.trusted_proxy_networks,
    )


class RequestContextMiddleware:
    async_capable = True
    sync_capable = False

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    async def __call__(self, request):
        request.META["REMOTE_ADDR"] = client_address(request)  # for Django and the logs too
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if SAFE_ID.match(incoming) else uuid.uuid4().hex[:16]
        token = request_id_var.set(request_id)
        started = time.monotonic()
        try:
            response = await self.get_response(request)
            response["X-Request-ID"] = request_id
            elapsed = time.monotonic() - started
            observe_request(request, response.status_code, elapsed)
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            return response
        finally:
            request_id_var.reset(token)
