"""Security issue #24, items 7, 9 and 10: token lifetimes and revocation, sign-in links that are
not password-reset links, and one e-mail rule that never tells whether an address is known."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.test import AsyncClient
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from choreography.accounts.signin import sign_in_path, sign_in_tokens

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "salsa-on-two-1987"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


async def make_user(username="ana", email=None, password=PASSWORD):
    return await get_user_model().objects.acreate_user(
        username, f"{username}@example.com" if email is None else email, password
    )


def uid(user) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


# --- item 9: sign-in links have their own signer ------------------------------------------


async def test_a_password_reset_token_does_not_sign_in():
    """A reset token (as mailed by /accounts/password_reset/) on /signin/ is 403 with no session:
    it cannot be used to sign a victim into the attacker's account (login CSRF)."""
    attacker = await make_user("mallory")
    token = default_token_generator.make_token(attacker)
    client = AsyncClient()
    response = await client.get(f"/signin/{uid(attacker)}/{token}/", headers=BROWSER)
    assert response.status_code == 403
    assert "sessionid" not in response.cookies
    assert "sessionid" not in client.cookies


async def test_a_sign_in_token_does_not_reset_a_password():
    """A sign-in link's token is refused by the password-reset form."""
    user = await make_user("ana")
    token = sign_in_path(user).split("/")[3]
    assert sign_in_tokens.check_token(user, token)
    assert not default_token_generator.check_token(user, token)
    page = await AsyncClient().get(f"/accounts/reset/{uid(user)}/{token}/", follow=True)
    assert b"new_password1" not in page.content
    assert b"not valid any more" in page.content


async def test_a_sign_in_link_expires(settings, monkeypatch):
    """A link older than CHOREO_SIGNIN_LINK_TTL_S is refused; a younger one works."""
    settings.CHOREO = settings.CHOREO.model_copy(update={"signin_link_ttl_s": 600})
    user = await make_user("ana")
    path = sign_in_path(user)
    issued = sign_in_tokens._now()
    monkeypatch.setattr(sign_in_tokens, "_now", lambda: issued + dt.timedelta(seconds=601))
    assert (await AsyncClient().get(path)).status_code == 403
    monkeypatch.setattr(sign_in_tokens, "_now", lambda: issued + dt.timedelta(seconds=590))
    response = await AsyncClient().get(path)
    assert response.status_code == 302 and response["Location"] == "/"


# --- item 7: tokens die with the password, and live at most CHOREO_TOKEN_MAX_DAYS ----------


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def works(token: str) -> bool:
    status = (await AsyncClient().get("/api/auth/me/", headers=bearer(token))).status_code
    assert status in (200, 401), status
    return status == 200


async def user_with_tokens(username="ana", **kwargs) -> tuple[object, list[str]]:
    """A user with a log-in token and a personal token, both working."""
    from choreography.accounts import services

    user = await make_user(username, **kwargs)
    login, _ = await services.issue_login_token(user)
    personal, _ = await services.create_personal_token(user, name="script")
    assert await works(login) and await works(personal)
    return user, [login, personal]


async def test_the_account_page_password_change_revokes_every_token():
    """/accounts/password_change/ ends every API token of the dancer."""
    user, tokens = await user_with_tokens()
    client = AsyncClient()
    await client.aforce_login(user)
    new = "merengue-all-night"
    response = await client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302, response.content
    assert [await works(t) for t in tokens] == [False, False]


async def test_a_password_reset_revokes_every_token(settings):
    """Django's reset confirm (the emailed link) ends every API token: a thief's token too."""
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _, tokens = await user_with_tokens()
    client = AsyncClient()
    await client.post("/accounts/password_reset/", {"email": "ana@example.com"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    form = await client.get(link, follow=True)
    new = "bachata-forever-1"
    done = await client.post(
        form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done["Location"] == "/accounts/reset/done/"
    assert [await works(t) for t in tokens] == [False, False]


@pytest.mark.parametrize("usable", [True, False])
async def test_the_admin_password_form_revokes_every_token(usable):
    """Staff setting a password (or no usable password) in the admin ends the user's tokens."""
    user, tokens = await user_with_tokens()
    staff = await get_user_model().objects.acreate_superuser("boss", "boss@example.com", PASSWORD)
    client = AsyncClient()
    await client.aforce_login(staff)
    data = {"password1": "rueda-de-casino-7", "password2": "rueda-de-casino-7"}
    data |= (
        {"usable_password": "true"}
        if usable
        else {"usable_password": "false", "unset-password": "1"}
    )
    response = await client.post(f"/admin/auth/user/{user.pk}/password/", data)
    assert response.status_code == 302, response.content
    await user.arefresh_from_db()
    assert user.has_usable_password() is usable
    assert [await works(t) for t in tokens] == [False, False]


async def test_set_password_anywhere_revokes_every_token():
    """set_password() and save(), as changepassword and any script do, ends the tokens; so
    does set_unusable_password()."""
    for name, change in (
        ("ana", lambda u: u.set_password("kizomba-is-cousin")),
        ("bea", lambda u: u.set_unusable_password()),
    ):
        user, tokens = await user_with_tokens(name)
        user = await get_user_model().objects.aget(pk=user.pk)
        change(user)
        await user.asave()
        assert [await works(t) for t in tokens] == [False, False], name


async def test_other_saves_and_a_hasher_upgrade_keep_the_tokens(settings):
    """Saving the user otherwise (last_login, names) or re-hashing the same password with a
    newer hasher at log-in is not a password change: the tokens keep working."""
    user, tokens = await user_with_tokens()
    user.first_name = "Ana"
    await user.asave()
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    user = await get_user_model().objects.aget(pk=user.pk)
    old_hash = user.password
    assert await user.acheck_password(PASSWORD)
    await user.arefresh_from_db()
    assert user.password != old_hash and user.password.startswith("pbkdf2_")
    assert [await works(t) for t in tokens] == [True, True]


async def test_a_token_made_by_a_token_expires_no_later_than_it(settings):
    """POST /api/auth/tokens/ with a bearer token: the new one inherits at most its expiry."""
    from choreography.accounts import services
    from choreography.accounts.models import ApiToken

    user = await make_user("ana")
    parent, record = await services.create_personal_token(user, name="short", ttl_days=2)
    response = await AsyncClient().post(
        "/api/auth/tokens/",
        {"name": "child", "ttl_days": 30},
        "application/json",
        headers=bearer(parent),
    )
    assert response.status_code == 201, response.content
    child = await ApiToken.objects.aget(prefix=response.json()["prefix"])
    assert child.expires_at == record.expires_at
    assert response.json()["expires_at"] is not None


async def test_no_token_outlives_the_maximum(settings):
    """Without ttl_days a token expires after CHOREO_TOKEN_MAX_DAYS; asking for more is a 400
    naming the maximum; the account page and issue_token obey it too."""
    from django.utils import timezone

    from choreography.accounts.models import ApiToken
    from choreography.accounts.tokens import issue_token

    settings.CHOREO = settings.CHOREO.model_copy(update={"token_max_days": 10})
    user = await make_user("ana")
    client = AsyncClient()
    await client.aforce_login(user)
    start = timezone.now()
    client.cookies["csrftoken"] = "x" * 32
    session_call = {"headers": {"X-CSRFToken": "x" * 32}}
    made = await client.post("/api/auth/tokens/", {"name": "a"}, "application/json", **session_call)
    assert made.status_code == 201, made.content
    too_long = await client.post(
        "/api/auth/tokens/", {"name": "b", "ttl_days": 11}, "application/json", **session_call
    )
    assert too_long.status_code == 400
    assert "at most 10 days (CHOREO_TOKEN_MAX_DAYS)" in too_long.json()["error"]
    assert too_long.json()["details"][0]["field"] == "ttl_days"
    shown = await client.post("/accounts/tokens/", {"token-name": "laptop"})
    assert shown.status_code == 201
    await issue_token("ana")
    with pytest.raises(ValueError, match="CHOREO_TOKEN_MAX_DAYS"):
        await issue_token("ana", days=11)
    limit = start + dt.timedelta(days=10, minutes=1)
    expiries = [t.expires_at async for t in ApiToken.objects.filter(user=user)]
    assert len(expiries) == 3
    assert all(e is not None and start + dt.timedelta(days=10) <= e < limit for e in expiries)


def test_login_tokens_may_not_outlive_the_maximum():
    """CHOREO_TOKEN_TTL_DAYS above CHOREO_TOKEN_MAX_DAYS stops start-up, naming both."""
    from choreography.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="CHOREO_TOKEN_TTL_DAYS=100: must not exceed"):
        load_config({"CHOREO_TOKEN_TTL_DAYS": "100"})
    assert load_config({"CHOREO_TOKEN_MAX_DAYS": "365", "CHOREO_TOKEN_TTL_DAYS": "100"})


# --- item 10: one e-mail rule, and no answer tells whether an address is known -------------


def mail_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/email/confirm/\S+/)", message.body).group(1)


@pytest.fixture
def outbox(settings):
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox


def register_body(username: str, email: str) -> dict:
    return {"username": username, "email": email, "password": PASSWORD}


def same_shape(body: dict) -> dict:
    """A register answer with what differs between any two accounts blanked out."""
    user = {**body["user"], "id": 0, "username": ""}
    return {**body, "user": user, "token": "", "expires_at": ""}


async def test_api_register_answers_the_same_for_a_taken_address(outbox):
    """POST /api/auth/register/ with an address another account has (any case) answers exactly
    as for a new one; the address's owner is mailed, and the new account does not get it."""
    await make_user("owner", email="owner@example.com")
    client = AsyncClient()
    fresh = await client.post(
        "/api/auth/register/", register_body("newbie", "newbie@example.com"), "application/json"
    )
    taken = await client.post(
        "/api/auth/register/", register_body("thief", "OWNER@example.com"), "application/json"
    )
    assert (fresh.status_code, taken.status_code) == (201, 201)
    assert same_shape(fresh.json()) == same_shape(taken.json())
    assert [m.to for m in outbox] == [["newbie@example.com"], ["owner@example.com"]]
    assert "/accounts/email/confirm/" in outbox[0].body
    assert "/accounts/email/confirm/" not in outbox[1].body and "thief" in outbox[1].body
    thief = await get_user_model().objects.aget(username="thief")
    assert thief.email == ""
    assert await get_user_model().objects.filter(email__iexact="owner@example.com").acount() == 1


async def test_the_sign_up_page_answers_the_same_for_a_taken_address(outbox):
    """The sign-up form no longer says "already exists" for an address: both sign-ups land on
    the page signed in with the same message; the owner of the taken address is mailed."""
    await make_user("owner", email="owner@example.com")
    pages = []
    for username, email in (("newbie", "newbie@example.com"), ("thief", "Owner@Example.com")):
        client = AsyncClient()
        data = {"username": username, "email": email, "password1": PASSWORD}
        response = await client.post("/accounts/signup/", {**data, "password2": PASSWORD})
        assert response.status_code == 302 and response["Location"] == "/"
        page = (await client.get("/", headers=BROWSER)).content.decode()
        page = re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", page)
        pages.append(page.replace(username, "U").replace(email, "E"))
    assert pages[0] == pages[1]
    assert [m.to for m in outbox] == [["newbie@example.com"], ["owner@example.com"]]
    assert (await get_user_model().objects.aget(username="thief")).email == ""


async def test_the_confirmation_link_stores_the_address_once_and_only_if_free(outbox):
    """Following the mailed link makes the address the account's (reset mails then reach it);
    a link for an address another account confirmed first is refused; a forged one too."""
    client = AsyncClient()
    for name in ("ana", "ann"):
        body = register_body(name, "shared@example.com")
        assert (
            await client.post("/api/auth/register/", body, "application/json")
        ).status_code == 201
    first, second = (mail_link(m) for m in outbox)
    assert (await client.get(first)).status_code == 200
    assert (await get_user_model().objects.aget(username="ana")).email == "shared@example.com"
    refused = await client.get(second, headers=BROWSER)
    assert refused.status_code == 400
    assert b"another account" in refused.content
    assert (await get_user_model().objects.aget(username="ann")).email == ""
    assert (await client.get(first[:-5] + "AAAA/")).status_code == 400
    outbox.clear()
    await client.post("/accounts/password_reset/", {"email": "SHARED@example.com"})
    assert len(outbox) == 1 and outbox[0].to == ["shared@example.com"]
    assert "Hello ana" in outbox[0].body


async def test_the_admin_refuses_an_address_another_account_has():
    """Staff editing a user in the admin cannot give them another account's address."""
    await make_user("owner", email="owner@example.com")
    user = await make_user("ana")
    staff = await get_user_model().objects.acreate_superuser("boss", "boss@example.com", PASSWORD)
    client = AsyncClient()
    await client.aforce_login(staff)
    page = f"/admin/auth/user/{user.pk}/change/"
    data = {
        "username": "ana",
        "email": "Owner@example.com",
        "is_active": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00:00",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "0",
        "apitoken_set-TOTAL_FORMS": "0",
        "apitoken_set-INITIAL_FORMS": "0",
    }
    refused = await client.post(page, data)
    assert refused.status_code == 200
    assert b"Another account already has this e-mail address." in refused.content
    saved = await client.post(page, {**data, "email": "ana.new@example.com"})
    assert saved.status_code == 302, saved.content
    await user.arefresh_from_db()
    assert user.email == "ana.new@example.com"
