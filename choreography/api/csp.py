"""The Content-Security-Policy of every page: django-csp's middleware, plus the media origin.

The policy itself is in settings (``CONTENT_SECURITY_POLICY``): only the site's own scripts,
styles and connections, no inline script or style, no plugins, no framing. Media and images may
also come from where the storage's links point: nothing more on local storage (``/media/`` is
the site), the S3 endpoint's origin on S3 (presigned URLs). That origin is taken from the
running storage on each response, so it is the one the page's links actually use.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase

from choreography.api.request_context import runtime_of
from storage import Storage

MEDIA_DIRECTIVES = ("media-src", "img-src")


def media_origin(storage: Storage) -> str | None:
    """The origin (``scheme://host[:port]``) ``storage``'s links point at, or None when they
    are the site's own (app-relative) links."""
    link = urlsplit(storage.url("csp/origin"))  # presigning is local: no request is made
    return f"{link.scheme}://{link.netloc}" if link.scheme and link.netloc else None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the storage's media origin added to media-src/img-src."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        origin = media_origin(runtime_of(request).storage)
        if origin:
            update = dict(parts.update or {})
            for directive in MEDIA_DIRECTIVES:
                update[directive] = [*update.get(directive, ()), origin]
            parts.update = update
        return parts
