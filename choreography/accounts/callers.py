"""Who is calling, from a request's headers alone: never from its body.

The ASGI body gate (``asgi_project.limits``) must know the caller before it lets a large body
in, and the API's CSRF check must not parse a multipart body to look for a form token (Django's
CsrfViewMiddleware reads ``request.POST`` first on a POST, which spools a whole upload). Both
ask here:

- ``caller(scope)``: the user an ASGI scope's headers sign in (bearer token first, then the
  session cookie with its CSRF header), or the AuthenticationError / PermissionDeniedError
  that refuses it: the same answers, in the same order, as the API's own authentication
  (``choreography.api.app``), so the gate never lets in what the view would refuse.
- ``csrf_refusal(request)``: Django's CSRF check (cookie against the X-CSRFToken header,
  Origin/Referer) on a bodiless copy of the request.
"""

from __future__ import annotations

import copy
import io
from importlib import import_module

from django.conf import settings
from django.contrib.auth import aget_user
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict
from ninja.utils import check_csrf

from choreography.accounts.tokens import bearer_token, token_owner
from choreography.errors import AuthenticationError, PermissionDeniedError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


async def caller(scope: dict):
    """The active user ``scope``'s headers sign in; AuthenticationError (401) without valid
    credentials, PermissionDeniedError (403) for a session without its CSRF header."""
    request = ASGIRequest(scope, io.BytesIO())  # headers only: the body stays unread
    header = request.headers.get("Authorization")
    if header:
        user = await token_owner(bearer_token(header))
        if user is None:
            raise AuthenticationError("invalid or revoked token")
        return user
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if key:
        request.session = import_module(settings.SESSION_ENGINE).SessionStore(key)
        user = await aget_user(request)
        if user.is_authenticated and user.is_active:
            if request.method not in SAFE_METHODS and (refusal := csrf_refusal(request)):
                raise refusal
            return user
    raise AuthenticationError(
        "authentication required", details="send 'Authorization: Bearer <token>'"
    )


def csrf_refusal(request: HttpRequest) -> PermissionDeniedError | None:
    """Why ``request`` fails Django's CSRF check, judged on its headers and cookies only
    (the X-CSRFToken header, never a form field: the body is not parsed); None if it passes."""
    bodiless = copy.copy(request)
    bodiless._post, bodiless._files = QueryDict(), MultiValueDict()  # no form token to find
    try:
        failed = check_csrf(bodiless) is not None
    except DisallowedHost:  # an Origin checked against a Host not in ALLOWED_HOSTS
        failed = True
    if not failed:
        return None
    return PermissionDeniedError(
        "CSRF check failed",
        details="send the csrftoken cookie's value in the X-CSRFToken header",
        stage="authentication",
    )
