"""How a signed, expiring media link is made: ``/media/<key>?expires=&signature=``.

Below the runtime and the edges: the runtime's local storage signs the URLs it hands out with
it, and the media view (choreography.api.signing) verifies them. The signature (Django's
signing with SECRET_KEY and a salt of its own) covers the key, the expiry, the download name and
the share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.core import signing

SALT = "choreo.media-link"
MEDIA_PREFIX = "/media/"


@dataclass(frozen=True)
class SignedLink:
    path: str
    """Path and query, relative to the site root."""
    expires: int
    """Unix time after which the link is refused."""


def link_signature(
    key: str, expires: int, filename: str | None = None, share: str | None = None
) -> str:
    named = f"\n{filename}" if filename else ""
    shared = f"\nshare={share}" if share else ""
    return signing.Signer(salt=SALT).signature(f"{key}\n{expires}{named}{shared}")


def signed_link(
    key: str, *, ttl_s: float, now: float, filename: str | None = None, share: str | None = None
) -> SignedLink:
    """A link to ``key`` valid for at least ``ttl_s`` seconds after ``now`` (unix time)."""
    expires = math.ceil(now + ttl_s)
    named = {"filename": filename} if filename else {}
    shared = {"share": share} if share else {}
    signature = link_signature(key, expires, filename, share)
    query = urlencode({"expires": expires, **named, **shared, "signature": signature})
    return SignedLink(f"{MEDIA_PREFIX}{quote(key)}?{query}", expires)
