"""STAND-IN for the accounts services contract (the real module is written on another branch
and replaces this one at merge). Same signatures; tokens use today's ApiToken fields only, and
preferences live in memory of this process."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, fields, replace

from django.utils import timezone

from choreography.accounts.tokens import TOKEN_PREFIX, hash_token
from choreography.errors import InvalidRequestError, NotFoundError
from choreography.models import ApiToken, Difficulty, EnergyLevel, Style


@dataclass(frozen=True)
class Preferences:
    display_name: str = ""
    difficulty: str = "intermediate"
    energy_level: str = "medium"
    style: str | None = None
    auto_save: bool = False


_PREFERENCES: dict[int, Preferences] = {}


async def create_personal_token(
    user, *, name: str, ttl_days: int | None = None
) -> tuple[str, ApiToken]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = await ApiToken.objects.acreate(
        user=user, token_hash=hash_token(token), prefix=token[:12]
    )
    return token, record


async def list_tokens(user) -> list[ApiToken]:
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at")
    return [token async for token in tokens]


async def revoke_token(user, *, prefix: str) -> None:
    tokens = ApiToken.objects.filter(user=user, prefix=prefix, revoked_at__isnull=True)
    if not await tokens.aupdate(revoked_at=timezone.now()):
        raise NotFoundError("no such token", details=prefix)


async def get_preferences(user) -> Preferences:
    return _PREFERENCES.get(user.pk, Preferences())


async def update_preferences(user, **values) -> Preferences:
    allowed = {
        "difficulty": Difficulty.values,
        "energy_level": EnergyLevel.values,
        "style": [None, *Style.values],
    }
    unknown = set(values) - {field.name for field in fields(Preferences)}
    if unknown:
        raise InvalidRequestError("unknown preference", details=", ".join(sorted(unknown)))
    for name, choices in allowed.items():
        if name in values and values[name] not in choices:
            raise InvalidRequestError(f"invalid {name}", details=repr(values[name]))
    _PREFERENCES[user.pk] = replace(await get_preferences(user), **values)
    return _PREFERENCES[user.pk]
