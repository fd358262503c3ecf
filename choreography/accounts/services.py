"""Accounts: sign-up, log-in, tokens and the dancer's preferences (the service contract).

Everything the API and the web pages do with accounts goes through these functions; they
raise the ChoreoError family (choreography.errors), which the API turns into HTTP answers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import aauthenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError
from django.utils import timezone

from choreography.accounts import emails
from choreography.accounts.models import ApiToken, Profile
from choreography.accounts.tokens import active_tokens, create_token, hash_token, revoke_tokens
from choreography.errors import AuthenticationError, InvalidRequestError, NotFoundError
from choreography.music.vocabulary import (
    DEFAULT_DIFFICULTY,
    DEFAULT_ENERGY_LEVEL,
    Difficulty,
    EnergyLevel,
    Style,
)

LOGIN_TOKEN_NAME = "login"


def _invalid(problems: list[dict]) -> InvalidRequestError:
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return InvalidRequestError(f"invalid request: {summary}", details=problems)


def _messages(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


USERNAME_TAKEN = "a user with that username already exists"


async def register(*, username: str, email: str, password: str, origin: str = ""):
    """A new active user with this password (hashed), and its empty profile.

    InvalidRequestError names every bad field: username (Django's username rules, taken
    regardless of case), email (its form only), password (AUTH_PASSWORD_VALIDATORS, which see
    the username and email too). The address is not stored yet: ``emails.claim_email`` mails it
    a confirmation link (links on ``origin``), or its owner if another account has it, so the
    answer is the same for a known and a new address.
    """
    user_model = get_user_model()
    problems: list[dict] = []
    username = (username or "").strip()
    email = user_model.objects.normalize_email((email or "").strip())
    max_length = user_model._meta.get_field("username").max_length
    if not username:
        problems.append({"field": "username", "message": "this field is required"})
    elif len(username) > max_length:
        problems.append({"field": "username", "message": f"at most {max_length} characters"})
    else:
        try:
            user_model.username_validator(username)
        except ValidationError as exc:
            problems += [{"field": "username", "message": m} for m in _messages(exc)]
        else:
            if await user_model.objects.filter(username__iexact=username).aexists():
                problems.append({"field": "username", "message": USERNAME_TAKEN})
    if not email:
        problems.append({"field": "email", "message": "this field is required"})
    else:
        try:
            validate_email(email)
        except ValidationError as exc:
            problems += [{"field": "email", "message": m} for m in _messages(exc)]
    if not password:
        problems.append({"field": "password", "message": "this field is required"})
    else:
        try:
            validate_password(password, user=user_model(username=username, email=email))
        except ValidationError as exc:
            problems += [{"field": "password", "message": m} for m in _messages(exc)]
    if problems:
        raise _invalid(problems)
    try:
        user = await user_model.objects.acreate_user(username=username, password=password)
    except IntegrityError:  # the same name registered concurrently
        raise _invalid([{"field": "username", "message": USERNAME_TAKEN}]) from None
    await Profile.objects.aget_or_create(user=user)
    await sync_to_async(emails.claim_email)(user, email, origin=origin)
    return user


async def authenticate_credentials(*, username: str, password: str):
    """The active user with this username and password; one answer for every failure."""
    user = await aauthenticate(username=username, password=password)
    if user is None:
        raise AuthenticationError("invalid username or password")
    return user


async def issue_login_token(user) -> tuple[str, ApiToken]:
    """A token for a log-in: expires after CHOREO_TOKEN_TTL_DAYS."""
    expires = timezone.now() + dt.timedelta(days=settings.CHOREO.token_ttl_days)
    return await create_token(user, name=LOGIN_TOKEN_NAME, expires_at=expires)


async def create_personal_token(
    user, *, name: str, ttl_days: int | None = None, minted_by: str | None = None
) -> tuple[str, ApiToken]:
    """A named token (scripts, other apps) that expires after ``ttl_days``.

    ``ttl_days`` defaults to CHOREO_TOKEN_MAX_DAYS and may not exceed it (InvalidRequestError
    naming the maximum). A token made with a token (``minted_by``, the caller's bearer token)
    expires no later than that token: a stolen token cannot buy itself a longer life.
    """
    expires = personal_token_expiry(ttl_days)
    if minted_by:
        parent = await active_tokens().filter(token_hash=hash_token(minted_by)).afirst()
        if parent is None:
            raise AuthenticationError("invalid or revoked token")
        if parent.expires_at is not None:
            expires = min(expires, parent.expires_at)
    return await create_token(user, name=name, expires_at=expires)


def personal_token_expiry(ttl_days: int | None, *, now: dt.datetime | None = None) -> dt.datetime:
    """When a token asked for ``ttl_days`` expires: CHOREO_TOKEN_MAX_DAYS at most and by default."""
    maximum = settings.CHOREO.token_max_days
    if ttl_days is not None and ttl_days > maximum:
        message = f"at most {maximum} days (CHOREO_TOKEN_MAX_DAYS)"
        raise _invalid([{"field": "ttl_days", "message": message}])
    return (now or timezone.now()) + dt.timedelta(days=maximum if ttl_days is None else ttl_days)


async def list_tokens(user) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    return [t async for t in active_tokens().filter(user=user).order_by("-created_at", "-id")]


async def revoke_token(user, *, prefix: str) -> None:
    """Revoke the user's active token with this prefix; NotFoundError if there is none."""
    revoked = (
        await active_tokens().filter(user=user, prefix=prefix).aupdate(revoked_at=timezone.now())
    )
    if not revoked:
        raise NotFoundError("no such token", details=f"no active token with prefix {prefix!r}")


async def revoke_token_value(token: str) -> None:
    """Revoke the token given in full (log-out); it stops working at once."""
    await revoke_tokens(token=token)


@dataclass(frozen=True)
class Preferences:
    display_name: str = ""
    difficulty: str = DEFAULT_DIFFICULTY
    energy_level: str = DEFAULT_ENERGY_LEVEL
    style: str | None = None
    auto_save: bool = False


PREFERENCE_FIELDS = tuple(f.name for f in dataclasses.fields(Preferences))
DISPLAY_NAME_MAX = Profile._meta.get_field("display_name").max_length


def _preferences(profile: Profile) -> Preferences:
    stored = {k: v for k, v in profile.preferences.items() if k in PREFERENCE_FIELDS}
    stored.pop("display_name", None)
    return Preferences(display_name=profile.display_name, **stored)


def _check(field: str, value) -> str | None:
    """What is wrong with ``value`` for ``field``, or None."""
    words = {"difficulty": Difficulty, "energy_level": EnergyLevel, "style": Style}
    if field == "display_name":
        if not isinstance(value, str):
            return "expected a string"
        if len(value) > DISPLAY_NAME_MAX:
            return f"at most {DISPLAY_NAME_MAX} characters"
    elif field == "auto_save":
        if not isinstance(value, bool):
            return "expected true or false"
    elif field == "style" and value is None:
        return None
    elif value not in {w.value for w in words[field]}:
        allowed = ", ".join(w.value for w in words[field])
        return f"expected one of: {allowed}" + (" (or null)" if field == "style" else "")
    return None


async def get_preferences(user) -> Preferences:
    profile, _ = await Profile.objects.aget_or_create(user=user)
    return _preferences(profile)


async def update_preferences(user, **fields) -> Preferences:
    """Change the given fields only; InvalidRequestError names every bad one."""
    problems = [
        {"field": name, "message": "unknown field"}
        for name in fields
        if name not in PREFERENCE_FIELDS
    ]
    problems += [
        {"field": name, "message": message}
        for name, value in fields.items()
        if name in PREFERENCE_FIELDS and (message := _check(name, value))
    ]
    if problems:
        raise _invalid(problems)
    profile, _ = await Profile.objects.aget_or_create(user=user)
    if "display_name" in fields:
        profile.display_name = fields.pop("display_name").strip()
    profile.preferences = {**profile.preferences, **fields}
    await profile.asave(update_fields=["display_name", "preferences"])
    return _preferences(profile)
