"""Bearer-token authentication; tokens are stored as SHA-256 hashes only."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from choreography.accounts.models import ApiToken
from choreography.errors import AuthenticationError

TOKEN_PREFIX = "chor_"
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)
"""last_used_at is written at most this often per token: not one write per request."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_tokens(now: dt.datetime | None = None):
    """Tokens that still work: not revoked, not expired."""
    now = now or timezone.now()
    return ApiToken.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked_at__isnull=True
    )


async def create_token(
    user, *, name: str = "", expires_at: dt.datetime | None = None
) -> tuple[str, ApiToken]:
    """A new token for ``user``: the value (shown once) and its stored record (hash only)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = await ApiToken.objects.acreate(
        user=user, token_hash=hash_token(token), prefix=token[:12], name=name, expires_at=expires_at
    )
    return token, record


async def issue_token(username: str, *, days: int | None = None) -> str:
    """Create the user if needed and return a new token (shown once, stored hashed) that
    expires after ``days``, CHOREO_TOKEN_MAX_DAYS at most and by default."""
    maximum = settings.CHOREO.token_max_days
    if days is not None and not 1 <= days <= maximum:
        raise ValueError(f"days: expected 1 to {maximum} (CHOREO_TOKEN_MAX_DAYS), got {days}")
    user_model = get_user_model()
    user, _ = await user_model.objects.aget_or_create(username=username)
    expires = timezone.now() + dt.timedelta(days=days or maximum)
    token, _ = await create_token(user, expires_at=expires)
    return token


async def authenticate_bearer(header: str | None):
    """The user owning the bearer token in ``header``; AuthenticationError otherwise."""
    if not header:
        raise AuthenticationError(
            "authentication required", details="send 'Authorization: Bearer <token>'"
        )
    token = bearer_token(header)
    now = timezone.now()
    record = await _active_record(token, now)
    if record is None:
        raise AuthenticationError("invalid or revoked token")
    await _record_use(record, now)
    return record.user


def bearer_token(header: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; AuthenticationError otherwise."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError(
            "malformed Authorization header", details="expected 'Authorization: Bearer <token>'"
        )
    return token


async def token_owner(token: str):
    """The active user owning ``token``, or None; reads only (the ASGI body gate asks before
    the request reaches Django, which authenticates again and records the use)."""
    record = await _active_record(token, timezone.now())
    return None if record is None else record.user


async def _active_record(token: str, now: dt.datetime) -> ApiToken | None:
    """The active token record for ``token`` whose user is active, with that user loaded."""
    record = (
        await active_tokens(now)
        .select_related("user")
        .filter(token_hash=hash_token(token.strip()))
        .afirst()
    )
    return record if record is not None and record.user.is_active else None


async def _record_use(record: ApiToken, now: dt.datetime) -> None:
    """Set last_used_at when it is older than a minute; the filter makes concurrent requests
    write once between them."""
    if record.last_used_at is not None and now - record.last_used_at < LAST_USED_RESOLUTION:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    await ApiToken.objects.filter(stale, pk=record.pk).aupdate(last_used_at=now)
    record.last_used_at = now


async def revoke_tokens(
    *, token: str | None = None, prefix: str | None = None, username=None
) -> int:
    """Revoke the token given in full, the tokens starting with ``prefix``, or all of a user's.

    Returns how many active tokens were revoked; a revoked token stops working at once.
    """
    tokens = active_tokens()
    if token:
        tokens = tokens.filter(token_hash=hash_token(token.strip()))
    elif prefix:
        if len(prefix) < 8:
            raise ValueError("a prefix needs at least 8 characters (e.g. chor_AbC)")
        tokens = tokens.filter(prefix__startswith=prefix[:12])
    if username:
        tokens = tokens.filter(user__username=username)
    if not (token or prefix or username):
        raise ValueError("say which token(s) to revoke: a token, --prefix or --user")
    return await tokens.aupdate(revoked_at=timezone.now())
