"""Bearer-token authentication; tokens are stored as SHA-256 hashes only."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.utils import timezone

from choreography.errors import AuthenticationError
from choreography.models import ApiToken

TOKEN_PREFIX = "chor_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(username: str) -> str:
    """Create the user if needed and return a new token (shown once, stored hashed)."""
    user_model = get_user_model()
    user, _ = await user_model.objects.aget_or_create(username=username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await ApiToken.objects.acreate(user=user, token_hash=hash_token(token), prefix=token[:12])
    return token


async def authenticate_bearer(header: str | None):
    """The user owning the bearer token in ``header``; AuthenticationError otherwise."""
    if not header:
        raise AuthenticationError(
            "authentication required", details="send 'Authorization: Bearer <token>'"
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError(
            "malformed Authorization header", details="expected 'Authorization: Bearer <token>'"
        )
    record = (
        await ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(token.strip()), revoked_at__isnull=True)
        .afirst()
    )
    if record is None or not record.user.is_active:
        raise AuthenticationError("invalid or revoked token")
    return record.user


async def revoke_tokens(
    *, token: str | None = None, prefix: str | None = None, username=None
) -> int:
    """Revoke the token given in full, the tokens starting with ``prefix``, or all of a user's.

    Returns how many active tokens were revoked; a revoked token stops working at once.
    """
    tokens = ApiToken.objects.filter(revoked_at__isnull=True)
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
