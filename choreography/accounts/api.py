"""/api/auth/: sign-up, log-in and log-out, the caller's profile, and their API tokens.

Thin views over choreography.accounts.services; failures are ChoreoErrors and leave in the one
error shape. Log-in and sign-up attempts go through choreography.accounts.throttle, per
(username, client address) and per client address (X-Forwarded-For counts only from
CHOREO_TRUSTED_PROXIES: choreography.api.request_context); successful sign-ups are limited per
address too.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.contrib.auth import alogout
from django.http import HttpRequest
from ninja import Router, Status
from pydantic import BaseModel, ConfigDict, Field

from choreography.accounts import services, throttle
from choreography.accounts.models import ApiToken
from choreography.api.request_context import client_address
from choreography.api.responses import absolute_url
from choreography.api.schemas import DifficultyValue, EnergyValue, ErrorOut, LibraryStyleValue
from choreography.errors import AuthenticationError, InvalidRequestError

router = Router(tags=["auth"])

AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut}
THROTTLED = {
    429: {
        "description": (
            "Too many failed attempts for this username from this address, or from this "
            "address for any username (or too many sign-ups from it)"
        ),
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        },
    }
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RegisterRequest(Strict):
    username: str = Field(max_length=150)
    email: str = Field(max_length=254)
    password: str = Field(max_length=4096)


class LoginRequest(Strict):
    username: str = Field(max_length=150)
    password: str = Field(max_length=4096)


class PreferencesIn(Strict):
    difficulty: DifficultyValue | None = None
    energy_level: EnergyValue | None = None
    style: LibraryStyleValue | None = Field(None, description="null: no preferred style")
    auto_save: bool | None = None


class MeUpdate(Strict):
    """Only the fields sent change."""

    display_name: str | None = Field(None, max_length=100)
    preferences: PreferencesIn | None = None


class TokenCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    ttl_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(
        None,
        description=(
            "Days until it expires: at most CHOREO_TOKEN_MAX_DAYS (400 beyond), which is the "
            "default; a token made with a token never outlives it"
        ),
    )


class PreferencesOut(BaseModel):
    difficulty: str
    energy_level: str
    style: str | None
    auto_save: bool


class UserOut(BaseModel):
    id: int
    username: str
    email: str
    display_name: str
    preferences: PreferencesOut


class TokenOut(BaseModel):
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself: shown this once, stored only hashed")


class TokenList(BaseModel):
    items: list[TokenOut]


class RegisterOut(BaseModel):
    user: UserOut
    token: str = Field(description="A log-in token (shown once), as from /api/auth/login/")
    expires_at: dt.datetime | None


class LoginOut(BaseModel):
    token: str = Field(description="Send it as 'Authorization: Bearer <token>'")
    expires_at: dt.datetime | None
    user: UserOut


def origin() -> str:
    """Where links in e-mails point: CHOREO_PUBLIC_URL, never the request's Host."""
    return absolute_url("")


async def _user_out(user) -> dict:
    prefs = await services.get_preferences(user)
    return UserOut(
        id=user.pk,
        username=user.get_username(),
        email=user.email,
        display_name=prefs.display_name,
        preferences=PreferencesOut(
            difficulty=prefs.difficulty,
            energy_level=prefs.energy_level,
            style=prefs.style,
            auto_save=prefs.auto_save,
        ),
    ).model_dump(mode="json")


def _token_out(record: ApiToken) -> dict:
    return TokenOut(
        name=record.name,
        prefix=record.prefix,
        created_at=record.created_at,
        last_used_at=record.last_used_at,
        expires_at=record.expires_at,
    ).model_dump(mode="json")


def _bearer(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@router.post(
    "/register/",
    auth=None,
    response={201: RegisterOut, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut, 429: ErrorOut},
    openapi_extra={"responses": THROTTLED},
    summary="Sign up: a new account and a log-in token; the e-mail address is mailed a link "
    "to confirm it (stored once confirmed; a taken address gets the same answer)",
)
async def register(request: HttpRequest, body: RegisterRequest):
    attempt = await throttle.attempt(
        scope="register", address=client_address(request), account=body.username
    )
    try:
        user = await services.register(
            username=body.username, email=body.email, password=body.password, origin=origin()
        )
    except InvalidRequestError:
        await attempt.failed()
        raise
    await attempt.succeeded()
    token, record = await services.issue_login_token(user)
    return Status(
        201, {"user": await _user_out(user), "token": token, "expires_at": record.expires_at}
    )


@router.post(
    "/login/",
    auth=None,
    response={
        200: LoginOut,
        400: ErrorOut,
        401: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        429: ErrorOut,
    },
    openapi_extra={"responses": THROTTLED},
    summary="Log in with username and password: a token that expires (CHOREO_TOKEN_TTL_DAYS)",
)
async def login(request: HttpRequest, body: LoginRequest):
    attempt = await throttle.attempt(
        scope="login", address=client_address(request), account=body.username
    )
    try:
        user = await services.authenticate_credentials(
            username=body.username, password=body.password
        )
    except AuthenticationError:
        await attempt.failed()
        raise
    await attempt.succeeded()
    token, record = await services.issue_login_token(user)
    return {"token": token, "expires_at": record.expires_at, "user": await _user_out(user)}


@router.post(
    "/logout/",
    response={204: None, **AUTH_ERRORS},
    summary="Log out: revoke the token that made this call, or end the session",
)
async def logout(request: HttpRequest):
    token = _bearer(request)
    if token:
        await services.revoke_token_value(token)
    else:
        await alogout(request)
    return Status(204, None)


@router.get("/me/", response={200: UserOut, **AUTH_ERRORS}, summary="The caller's profile")
async def me(request: HttpRequest):
    return await _user_out(request.auth)


@router.patch(
    "/me/",
    response={200: UserOut, 400: ErrorOut, **AUTH_ERRORS, 413: ErrorOut, 415: ErrorOut},
    summary="Change the display name and generation preferences (only the fields sent)",
)
async def update_me(request: HttpRequest, body: MeUpdate):
    fields = {}
    if "display_name" in body.model_fields_set:
        if body.display_name is None:
            raise InvalidRequestError(
                "invalid request: display_name: expected a string",
                details=[{"field": "display_name", "message": "expected a string"}],
            )
        fields["display_name"] = body.display_name
    if body.preferences is not None:
        fields |= body.preferences.model_dump(exclude_unset=True)
        for name in ("difficulty", "energy_level", "auto_save"):
            if name in fields and fields[name] is None:
                message = "expected true or false" if name == "auto_save" else "must not be null"
                raise InvalidRequestError(
                    f"invalid request: preferences.{name}: {message}",
                    details=[{"field": f"preferences.{name}", "message": message}],
                )
    await services.update_preferences(request.auth, **fields)
    return await _user_out(request.auth)


@router.get("/tokens/", response={200: TokenList, **AUTH_ERRORS}, summary="The caller's tokens")
async def tokens(request: HttpRequest):
    return {"items": [_token_out(t) for t in await services.list_tokens(request.auth)]}


@router.post(
    "/tokens/",
    response={201: TokenCreated, 400: ErrorOut, **AUTH_ERRORS, 413: ErrorOut, 415: ErrorOut},
    summary="Create a named token (for scripts); the token is shown only in this answer",
)
async def create_token(request: HttpRequest, body: TokenCreate):
    token, record = await services.create_personal_token(
        request.auth, name=body.name.strip(), ttl_days=body.ttl_days, minted_by=_bearer(request)
    )
    return Status(201, {**_token_out(record), "token": token})


@router.delete(
    "/tokens/{prefix}/",
    response={204: None, **AUTH_ERRORS, 404: ErrorOut},
    summary="Revoke one of the caller's tokens by its prefix",
)
async def revoke(request: HttpRequest, prefix: str):
    await services.revoke_token(request.auth, prefix=prefix)
    return Status(204, None)
