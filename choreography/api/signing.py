"""Signed, expiring links to local media, so a ``<video>`` tag can load them without headers.

A link is ``/media/<key>?expires=<unix time>&signature=<HMAC>``, optionally with the
``filename`` the download is named by and the ``share`` it was given under; the signature
(Django's signing with SECRET_KEY and a salt of its own) covers the key, the expiry, the name and
the share, so none can be changed, and nobody can make a link to a key they were not given. A
link with a share is refused by the media view as soon as that share is revoked.

The link itself is made below the runtime (choreography.medialinks): the runtime signs with its
own clock (``Runtime.sign_media``, its local storage's URLs too); here the media view verifies a
link at the time it is given (the runtime's clock, which tests move instead of sleeping). This
module holds no state and asks nobody for it.
"""

from __future__ import annotations

from django.utils.crypto import constant_time_compare

from choreography.errors import LinkExpiredError, PermissionDeniedError
from choreography.medialinks import (  # noqa: F401 - SALT, MEDIA_PREFIX: the link's terms
    MEDIA_PREFIX,
    SALT,
    SignedLink,
    link_signature,
    signed_link,
)


def verify_media(
    key: str,
    *,
    now: float,
    expires: str | None,
    signature: str | None,
    filename: str | None = None,
    share: str | None = None,
) -> None:
    """Return if the link is genuine and current at ``now`` (Unix time);
    PermissionDeniedError/LinkExpiredError else."""
    if not expires or not signature:
        raise PermissionDeniedError(
            "a signed link is required for media",
            details="use the video_url returned by the API; it carries expires and signature",
            stage="media",
        )
    if not expires.isascii() or not expires.isdigit() or len(expires) > 12:
        raise PermissionDeniedError("invalid media link", stage="media")
    if not constant_time_compare(signature, link_signature(key, int(expires), filename, share)):
        raise PermissionDeniedError("invalid media link signature", stage="media")
    if int(expires) < now:
        raise LinkExpiredError(
            "the media link has expired",
            details="ask the API for a fresh video_url (GET /api/choreography/videos/)",
            stage="media",
        )
