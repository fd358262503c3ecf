"""/api/auth/: sign-up, log-in/out, profile, tokens and CORS, in-process (the guessing throttle:
tests/accounts/test_throttle.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import AsyncClient
from django.utils import timezone

from choreography.accounts import services
from choreography.accounts.models import ApiToken
from choreography.errors import InvalidRequestError
from tests.clients import ERROR_KEYS, PASSWORD, Client, register, signed_up

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """A cheap hasher: the throttle tests hash a password on every attempt."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
async def _fresh_local_cache():
    """Throttle counters in local memory do not leak from one test into the next."""
    await cache.aclear()


async def login(client: Client, username="alice", password=PASSWORD):
    return await client.send(
        "POST", "/api/auth/login/", {"username": username, "password": password}
    )


def fields(response) -> set[str]:
    assert response.status_code == 400, response.content
    assert set(response.json()) == ERROR_KEYS
    return {problem["field"] for problem in response.json()["details"]}


# --- sign-up -------------------------------------------------------------------------------


async def test_register_creates_the_user_and_a_working_token(transactional_db, settings):
    """Sign-up answers 201 with the user and a log-in token that authenticates /me/; the
    address is stored once the link mailed to it is followed (security #24 item 10: the answer
    must be the same when the address belongs to another account, so it cannot echo it)."""
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = await register(Client())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"] == {
        "id": body["user"]["id"],
        "username": "alice",
        "email": "",
        "display_name": "",
        "preferences": {
            "difficulty": "intermediate",
            "energy_level": "medium",
            "style": None,
            "auto_save": False,
        },
    }
    user = await get_user_model().objects.aget(username="alice")
    assert user.check_password(PASSWORD) and user.password != PASSWORD
    me = await Client(body["token"]).get("/api/auth/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    assert mail.outbox[-1].to == ["alice@example.com"]
    link = re.search(r"http://\S+?(/accounts/email/confirm/\S+/)", mail.outbox[-1].body)
    assert (await Client().get(link.group(1))).status_code == 200
    me = await Client(body["token"]).get("/api/auth/me/")
    assert me.json()["email"] == "alice@example.com"


async def test_register_names_every_bad_field(transactional_db):
    """A bad username, email and password are one 400 listing each field."""
    response = await register(Client(), username="no spaces!", email="nope", password="123")
    assert fields(response) == {"username", "email", "password"}
    assert await get_user_model().objects.acount() == 0


async def test_register_refuses_weak_passwords_with_django_validators(transactional_db):
    """Common, numeric and username-like passwords are 400 on the password field."""
    for password in ("password", "1234567890", "alice1234"):
        response = await register(Client(ip=f"10.0.0.{len(password)}"), password=password)
        assert fields(response) == {"password"}, password


async def test_taken_username_is_400_whatever_its_case(transactional_db):
    """A taken username (in any case) is a 400 naming the username, never a 500."""
    assert (await register(Client())).status_code == 201
    response = await register(Client(), username="ALICE", email="other@example.com")
    assert fields(response) == {"username"}
    assert "already exists" in response.json()["error"]


async def test_register_body_is_strict(transactional_db):
    """Unknown fields, missing fields and wrong types are 400 naming the field."""
    client = Client()
    base = {"username": "bob", "email": "bob@example.com", "password": PASSWORD}
    assert fields(await client.send("POST", "/api/auth/register/", {**base, "admin": True})) == {
        "admin"
    }
    assert fields(await client.send("POST", "/api/auth/register/", {"username": "bob"})) == {
        "email",
        "password",
    }
    assert fields(await client.send("POST", "/api/auth/register/", {**base, "password": 5})) == {
        "password"
    }


# --- log-in and log-out -----------------------------------------------------------------------


async def test_login_returns_a_token_that_expires_after_the_ttl(reconfigure):
    """Log-in answers the token, its expiry (CHOREO_TOKEN_TTL_DAYS) and the user."""
    await reconfigure(token_ttl_days=2)
    await signed_up()
    response = await login(Client())
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"token", "expires_at", "user"}
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert abs(expires - (timezone.now() + dt.timedelta(days=2))) < dt.timedelta(minutes=1)
    assert body["user"]["username"] == "alice"
    assert (await Client(body["token"]).get("/api/auth/me/")).status_code == 200


async def test_unknown_user_and_wrong_password_get_the_same_401(transactional_db):
    """One answer for an unknown user and a wrong password: nothing tells them apart."""
    await signed_up()
    wrong = await login(Client(), password="not-the-password")
    unknown = await login(Client(), username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "invalid username or password"


async def test_inactive_user_cannot_log_in(transactional_db):
    """A deactivated account gets the same 401 as a wrong password."""
    await signed_up()
    await get_user_model().objects.filter(username="alice").aupdate(is_active=False)
    assert (await login(Client())).status_code == 401


async def test_logout_revokes_only_the_calling_token(transactional_db):
    """After log-out the token is 401; the user's other tokens keep working."""
    client = await signed_up()
    other = Client((await login(Client())).json()["token"])
    response = await client.post("/api/auth/logout/")
    assert response.status_code == 204
    assert (await client.get("/api/auth/me/")).status_code == 401
    assert (await other.get("/api/auth/me/")).status_code == 200


async def test_logout_with_a_session_ends_the_session(transactional_db):
    """A session caller is logged out: its cookie no longer authenticates."""
    await signed_up()
    client = AsyncClient()
    await client.aforce_login(await get_user_model().objects.aget(username="alice"))
    assert (await client.get("/api/auth/me/")).status_code == 200
    assert (await client.post("/api/auth/logout/")).status_code == 204
    assert (await client.get("/api/auth/me/")).status_code == 401


async def test_logout_without_credentials_is_401(transactional_db):
    """Log-out needs credentials like any other call."""
    response = await Client().post("/api/auth/logout/")
    assert response.status_code == 401
    assert set(response.json()) == ERROR_KEYS


# --- profile ----------------------------------------------------------------------------------


async def test_me_patch_changes_only_the_fields_sent(transactional_db):
    """PATCH /me/ updates the display name and preferences it names, keeps the rest."""
    client = await signed_up()
    response = await client.send(
        "PATCH",
        "/api/auth/me/",
        {"display_name": "Alice B.", "preferences": {"difficulty": "advanced", "style": "sensual"}},
    )
    assert response.status_code == 200, response.content
    response = await client.send("PATCH", "/api/auth/me/", {"preferences": {"auto_save": True}})
    body = (await client.get("/api/auth/me/")).json()
    assert body == response.json()
    assert body["display_name"] == "Alice B."
    assert body["preferences"] == {
        "difficulty": "advanced",
        "energy_level": "medium",
        "style": "sensual",
        "auto_save": True,
    }
    user = await get_user_model().objects.aget(username="alice")
    assert await services.get_preferences(user) == services.Preferences(
        display_name="Alice B.", difficulty="advanced", style="sensual", auto_save=True
    )
    cleared = await client.send("PATCH", "/api/auth/me/", {"preferences": {"style": None}})
    assert cleared.json()["preferences"]["style"] is None


async def test_me_patch_refuses_bad_values_naming_the_field(transactional_db):
    """Values outside the vocabulary, nulls, unknown keys and long names are 400."""
    client = await signed_up()
    cases = [
        ({"preferences": {"difficulty": "expert"}}, {"preferences.difficulty"}),
        ({"preferences": {"energy_level": None}}, {"preferences.energy_level"}),
        ({"preferences": {"style": "tango"}}, {"preferences.style"}),
        ({"preferences": {"auto_save": "yes"}}, {"preferences.auto_save"}),
        ({"preferences": {"colour": "red"}}, {"preferences.colour"}),
        ({"display_name": "x" * 101}, {"display_name"}),
        ({"username": "mallory"}, {"username"}),
    ]
    for body, expected in cases:
        assert fields(await client.send("PATCH", "/api/auth/me/", body)) == expected, body
    assert (await client.get("/api/auth/me/")).json()["preferences"]["difficulty"] == (
        "intermediate"
    )


async def test_update_preferences_service_validates_against_the_vocabulary(transactional_db):
    """The service names each bad field itself (the web pages call it directly)."""
    user = await services.register(username="carol", email="c@example.com", password=PASSWORD)
    with pytest.raises(InvalidRequestError) as caught:
        await services.update_preferences(user, difficulty="expert", style="tango", mood="x")
    assert {p["field"] for p in caught.value.details} == {"difficulty", "style", "mood"}


async def test_me_without_credentials_is_401(transactional_db):
    """/me/ is for authenticated callers only."""
    assert (await Client().get("/api/auth/me/")).status_code == 401


# --- tokens -----------------------------------------------------------------------------------


async def test_tokens_create_list_and_revoke(transactional_db):
    """A named token is shown once, listed without its value, and revoked by prefix."""
    client = await signed_up()
    created = await client.send("POST", "/api/auth/tokens/", {"name": "laptop", "ttl_days": 7})
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == {"token", "name", "prefix", "created_at", "last_used_at", "expires_at"}
    assert body["token"].startswith(body["prefix"]) and body["name"] == "laptop"
    # No token lives forever any more (security #24 item 7): without ttl_days it gets
    # CHOREO_TOKEN_MAX_DAYS, cut to the expiry of the log-in token that made it.
    script = await client.send("POST", "/api/auth/tokens/", {"name": "script"})
    assert script.json()["expires_at"] is not None

    listed = (await client.get("/api/auth/tokens/")).json()["items"]
    assert [t["name"] for t in listed] == ["script", "laptop", "login"]
    assert all("token" not in t for t in listed)

    laptop = Client(body["token"])
    assert (await laptop.get("/api/auth/me/")).status_code == 200
    assert (await client.delete(f"/api/auth/tokens/{body['prefix']}/")).status_code == 204
    assert (await laptop.get("/api/auth/me/")).status_code == 401
    names = [t["name"] for t in (await client.get("/api/auth/tokens/")).json()["items"]]
    assert names == ["script", "login"]
    again = await client.delete(f"/api/auth/tokens/{body['prefix']}/")
    assert again.status_code == 404
    assert set(again.json()) == ERROR_KEYS


async def test_token_create_body_is_validated(transactional_db):
    """A token needs a name; ttl_days is a whole number of days from 1."""
    client = await signed_up()
    for body, expected in [
        ({}, {"name"}),
        ({"name": ""}, {"name"}),
        ({"name": "x", "ttl_days": 0}, {"ttl_days"}),
        ({"name": "x", "ttl_days": "7"}, {"ttl_days"}),
    ]:
        assert fields(await client.send("POST", "/api/auth/tokens/", body)) == expected, body


async def test_another_users_token_prefix_is_404(transactional_db):
    """A user cannot see or revoke someone else's token: its prefix is 404."""
    alice = await signed_up("alice")
    bob = await signed_up("bob")
    bob_prefix = (await bob.get("/api/auth/tokens/")).json()["items"][0]["prefix"]
    assert (await alice.delete(f"/api/auth/tokens/{bob_prefix}/")).status_code == 404
    assert (await bob.get("/api/auth/me/")).status_code == 200
    assert bob_prefix not in str((await alice.get("/api/auth/tokens/")).json())


async def test_expired_token_is_401_and_not_listed(transactional_db):
    """A token past its expiry is refused and no longer listed."""
    client = await signed_up()
    created = (
        await client.send("POST", "/api/auth/tokens/", {"name": "old", "ttl_days": 1})
    ).json()
    old = Client(created["token"])
    assert (await old.get("/api/auth/me/")).status_code == 200
    await ApiToken.objects.filter(prefix=created["prefix"]).aupdate(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = await old.get("/api/auth/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="choreo"'
    listed = (await client.get("/api/auth/tokens/")).json()["items"]
    assert "old" not in [t["name"] for t in listed]


async def test_last_used_at_is_written_at_most_once_a_minute(transactional_db):
    """The first use records last_used_at; later uses within a minute leave it alone."""
    client = await signed_up()
    record = await ApiToken.objects.aget()
    assert record.last_used_at is None
    await client.get("/api/auth/me/")
    await record.arefresh_from_db()
    first = record.last_used_at
    assert first is not None
    await client.get("/api/auth/me/")
    await record.arefresh_from_db()
    assert record.last_used_at == first

    # Move time on: the stored value 59 s in the past is still fresh, 61 s is stale.
    recent = timezone.now() - dt.timedelta(seconds=59)
    await ApiToken.objects.filter(pk=record.pk).aupdate(last_used_at=recent)
    await client.get("/api/auth/me/")
    await record.arefresh_from_db()
    assert record.last_used_at == recent
    stale = timezone.now() - dt.timedelta(seconds=61)
    await ApiToken.objects.filter(pk=record.pk).aupdate(last_used_at=stale)
    await client.get("/api/auth/me/")
    await record.arefresh_from_db()
    assert record.last_used_at > stale + dt.timedelta(seconds=60)
    listed = (await client.get("/api/auth/tokens/")).json()["items"][0]
    shown = dt.datetime.fromisoformat(listed["last_used_at"])  # JSON keeps milliseconds
    assert abs(shown - record.last_used_at) < dt.timedelta(milliseconds=1)


# --- CORS -------------------------------------------------------------------------------------


def preflight(origin: str, path: str = "/api/auth/login/") -> dict:
    return {
        "path": path,
        "headers": {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    }


async def test_cors_preflight_from_an_allowed_origin(settings, transactional_db):
    """An allowed origin gets the CORS headers, including Authorization and Idempotency-Key."""
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    response = await Client().options(**preflight("https://app.example"))
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://app.example"
    allowed = response["Access-Control-Allow-Headers"].lower()
    for header in ("authorization", "content-type", "accept", "idempotency-key"):
        assert header in allowed
    assert "POST" in response["Access-Control-Allow-Methods"]


async def test_cors_preflight_from_a_refused_origin_or_outside_the_api(settings, transactional_db):
    """Another origin, or a path outside /api/, gets no CORS headers."""
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    refused = await Client().options(**preflight("https://evil.example"))
    assert "Access-Control-Allow-Origin" not in refused
    outside = await Client().options(**preflight("https://app.example", path="/admin/login/"))
    assert "Access-Control-Allow-Origin" not in outside


async def test_no_cors_origin_is_allowed_by_default(transactional_db):
    """Without CORS_ALLOWED_ORIGINS no origin is allowed."""
    response = await Client().options(**preflight("http://localhost:3000"))
    assert "Access-Control-Allow-Origin" not in response


# --- admin ------------------------------------------------------------------------------------


async def test_admin_user_pages_show_tokens_and_generation_counts(transactional_db):
    """The users list counts each user's generations; a user's page lists their tokens."""
    from choreography.models import ChoreographyTask

    client = await signed_up()
    await client.get("/api/auth/me/")
    alice = await get_user_model().objects.aget(username="alice")
    for _ in range(3):
        await ChoreographyTask.objects.acreate(user=alice)
    staff = await get_user_model().objects.acreate_user(
        "root", password=PASSWORD, is_staff=True, is_superuser=True
    )
    admin = AsyncClient()
    await admin.aforce_login(staff)
    listing = await admin.get("/admin/auth/user/")
    assert listing.status_code == 200
    assert b"generations" in listing.content and b'class="field-generations">3<' in listing.content
    page = await admin.get(f"/admin/auth/user/{alice.pk}/change/")
    assert page.status_code == 200
    token = await ApiToken.objects.aget(user=alice)
    assert token.prefix.encode() in page.content
    assert b"Last used at" in page.content or b"last used at" in page.content.lower()


async def test_passwords_are_never_logged(transactional_db):
    """Sign-up and log-in, right or wrong, leave no password in any log line (JSON format)."""
    import logging

    from choreography.logcontext import ContextFilter, JsonFormatter

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect(level=logging.DEBUG)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    loggers = [logging.getLogger(n) for n in ("choreography", "django.request", "django")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        await register(Client(), password="Secret-Tango-77")
        await register(Client(), username="bob", email="bob@x", password="Weak-Secret-1")
        await login(Client(), password="Wrong-Secret-99")
        await login(Client(), password="Secret-Tango-77")
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
    assert lines, "the requests were logged"
    for secret in ("Secret-Tango-77", "Weak-Secret-1", "Wrong-Secret-99"):
        assert not [line for line in lines if secret in line]
