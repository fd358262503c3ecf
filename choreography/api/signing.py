"""Signed, expiring links to local media, so a ``<video>`` tag can load them without headers.

A link is ``/media/<key>?expires=<unix time>&signature=<HMAC>``, optionally with the
``filename`` the download is named by and the ``share`` it was given under; the signature
(Django's signing with SECRET_KEY and a salt of its own) covers the key, the expiry, the name and
the share, so none can be changed, and nobody can make a link to a key they were not given. A
link with a share is refused by the media view as soon as that share is revoked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

from choreography import runtime
from choreography.errors import LinkExpiredError, PermissionDeniedError

SALT = "choreo.media-link"
MEDIA_PREFIX = "/media/"


@dataclass(frozen=True)
class SignedLink:
    path: str
    """Path and query, relative to the site root."""
    expires: int
    """Unix time after which the link is refused."""


def _signature(
    key: str, expires: int, filename: str | None = None, share: str | None = None
) -> str:
    named = f"\n{filename}" if filename else ""
    shared = f"\nshare={share}" if share else ""
    return signing.Signer(salt=SALT).signature(f"{key}\n{expires}{named}{shared}")


def sign_media(
    key: str,
    *,
    filename: str | None = None,
    share: str | None = None,
    ttl_s: int | None = None,
    now: float | None = None,
) -> SignedLink:
    """A link to ``key`` valid for at least ``ttl_s`` seconds (default CHOREO_URL_TTL_S); with
    ``share`` (collections.services.share_ref) only while that share lasts."""
    ttl_s = settings.CHOREO.url_ttl_s if ttl_s is None else ttl_s
    expires = math.ceil((runtime.current().clock() if now is None else now) + ttl_s)
    named = {"filename": filename} if filename else {}
    shared = {"share": share} if share else {}
    signature = _signature(key, expires, filename, share)
    query = urlencode({"expires": expires, **named, **shared, "signature": signature})
    return SignedLink(f"{MEDIA_PREFIX}{quote(key)}?{query}", expires)


def verify_media(
    key: str,
    *,
    expires: str | None,
    signature: str | None,
    filename: str | None = None,
    share: str | None = None,
) -> None:
    """Return if the link is genuine and current; PermissionDeniedError/LinkExpiredError else."""
    if not expires or not signature:
        raise PermissionDeniedError(
            "a signed link is required for media",
            details="use the video_url returned by the API; it carries expires and signature",
            stage="media",
        )
    if not expires.isascii() or not expires.isdigit() or len(expires) > 12:
        raise PermissionDeniedError("invalid media link", stage="media")
    if not constant_time_compare(signature, _signature(key, int(expires), filename, share)):
        raise PermissionDeniedError("invalid media link signature", stage="media")
    if int(expires) < runtime.current().clock():
        raise LinkExpiredError(
            "the media link has expired",
            details="ask the API for a fresh video_url (GET /api/choreography/videos/)",
            stage="media",
        )
