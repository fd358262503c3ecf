"""Accounts on the web page: sign-up, log-in/out, password change and reset, the account page."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import AsyncClient

from choreography.accounts import services, throttle
from choreography.accounts.models import ApiToken
from choreography.errors import TooManyAttemptsError

pytestmark = pytest.mark.django_db(transaction=True)
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
PASSWORD = "salsa-on-2-turns"


class Browser(AsyncClient):
    """An AsyncClient that sends ``Accept: text/html`` like a browser on every request."""

    def generic(self, *args, headers=None, **kwargs):
        return super().generic(*args, headers={**BROWSER, **(headers or {})}, **kwargs)


def browser(**kwargs) -> AsyncClient:
    return Browser(**kwargs)


async def make_user(username="ana", password=PASSWORD, email=None):
    return await get_user_model().objects.acreate_user(
        username, email or f"{username}@example.com", password
    )


async def signed_in(username="ana") -> tuple[AsyncClient, object]:
    user = await make_user(username)
    client = browser()
    await client.aforce_login(user)
    return client, user


def signup_data(**overrides) -> dict:
    return {
        "username": "newdancer",
        "email": "new@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }


def page_options(content: bytes) -> dict:
    match = re.search(rb'<script id="page-options" type="application/json">(.*?)</script>', content)
    return json.loads(match.group(1))


async def test_signup_signs_in_and_lands_on_the_generate_page(settings):
    """A valid sign-up creates the account, signs the dancer in and redirects to `/`; the
    address is the account's once the mailed link is followed (security #24 item 10)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client = browser()
    form = await client.get("/accounts/signup/")
    assert form.status_code == 200
    assert b'<label for="id_email">' in form.content
    response = await client.post("/accounts/signup/", signup_data())
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = await get_user_model().objects.aget(username="newdancer")
    assert user.email == ""
    assert mail.outbox[-1].to == ["new@example.com"]
    link = re.search(r"http://\S+?(/accounts/email/confirm/\S+/)", mail.outbox[-1].body)
    assert (await client.get(link.group(1))).status_code == 200
    await user.arefresh_from_db()
    assert user.email == "new@example.com"
    page = await client.get("/")
    assert b"signed in as newdancer" in page.content
    assert b'action="/accounts/logout/"' in page.content
    assert b'href="/accounts/"' in page.content


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"username": "ana"}, "username", b"already exists"),
        ({"password2": "something-else-9"}, "password2", b"didn\xe2\x80\x99t match"),
        ({"password1": "12345678", "password2": "12345678"}, "password1", b"too common"),
        ({"password1": "abc", "password2": "abc"}, "password1", b"too short"),
        ({"email": ""}, "email", b"This field is required"),
    ],
)
async def test_signup_errors_are_shown_next_to_their_fields(overrides, field, words):
    """A taken username, mismatched or weak passwords and a missing email are refused in words."""
    await make_user("ana")
    response = await browser().post("/accounts/signup/", signup_data(**overrides))
    assert response.status_code == 200
    assert words in response.content
    assert f'id="id_{field}_error"'.encode() in response.content
    assert re.search(
        rf'<input[^>]*aria-invalid="true"[^>]*id="id_{field}"|'
        rf'<input[^>]*id="id_{field}"[^>]*aria-invalid="true"'.encode(),
        response.content,
    ) or re.search(rf'aria-describedby="[^"]*id_{field}_error'.encode(), response.content)
    assert re.search(rf'<input[^>]*autofocus[^>]*id="id_{field}"'.encode(), response.content)
    assert len(re.findall(rb"autofocus", response.content)) == 1
    assert not await get_user_model().objects.filter(username="newdancer").aexists()
    if field == "password1":  # the password's own errors, not under its confirmation
        assert b'id="id_password2_error"' not in response.content


async def test_login_and_logout_which_is_post_only():
    """Log-in with the password signs in; log-out is refused on GET and works on POST."""
    await make_user("ana")
    client = browser()
    bad = await client.post("/accounts/login/", {"username": "ana", "password": "wrong"})
    assert bad.status_code == 200
    assert b"Please enter a correct username and password" in bad.content
    response = await client.post("/accounts/login/", {"username": "ana", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert b"signed in as ana" in (await client.get("/")).content
    assert (await client.get("/accounts/logout/")).status_code == 405
    assert b"signed in as ana" in (await client.get("/")).content
    out = await client.post("/accounts/logout/")
    assert out.status_code == 302
    assert out["Location"] == "/"
    signed_out = await client.get("/")
    assert b"You are signed out" in signed_out.content
    assert b'href="/accounts/signup/"' in signed_out.content
    assert b'href="/accounts/login/"' in signed_out.content


async def test_throttled_login_says_when_to_try_again(monkeypatch):
    """A throttled log-in is not checked; the form says to wait, with status 429."""
    await make_user("ana")
    seen = []

    async def refuse(*, scope, address, account):
        seen.append((scope, account))
        raise TooManyAttemptsError("too many attempts", retry_after=125)

    monkeypatch.setattr(throttle, "attempt", refuse)
    client = browser()
    response = await client.post("/accounts/login/", {"username": "Ana", "password": PASSWORD})
    assert response.status_code == 429
    assert response["Retry-After"] == "125"
    assert b"Too many attempts; try again in 3 minutes" in response.content
    assert seen == [("login", "ana")]
    assert b"signed in" not in (await client.get("/")).content
    signup = await client.post("/accounts/signup/", signup_data())
    assert signup.status_code == 429
    reset = await client.post("/accounts/password_reset/", {"email": "ana@example.com"})
    assert reset.status_code == 429
    assert mail.outbox == []
    assert [scope for scope, _ in seen] == ["login", "register", "password_reset"]


async def test_failed_and_successful_logins_are_reported_to_the_throttle(monkeypatch):
    """A wrong password counts as a failure; a right one as a success."""
    await make_user("ana")
    calls = []
    real_attempt = throttle.attempt

    class Recorded:
        def __init__(self, attempt, key) -> None:
            self.attempt, self.key = attempt, key

        async def failed(self):
            calls.append(("failed", *self.key))
            await self.attempt.failed()

        async def succeeded(self):
            calls.append(("succeeded", *self.key))
            await self.attempt.succeeded()

    async def attempt(*, scope, address, account):
        return Recorded(
            await real_attempt(scope=scope, address=address, account=account),
            (scope, account, address),
        )

    monkeypatch.setattr(throttle, "attempt", attempt)
    client = browser()
    await client.post("/accounts/login/", {"username": "ana", "password": "nope"})
    await client.post("/accounts/login/", {"username": "ana", "password": PASSWORD})
    assert calls == [
        ("failed", "login", "ana", "127.0.0.1"),
        ("succeeded", "login", "ana", "127.0.0.1"),
    ]


async def test_password_change():
    """A signed-in dancer changes the password; the old one stops working, the new one works."""
    client, _ = await signed_in("ana")
    assert (await client.get("/accounts/password_change/")).status_code == 200
    response = await client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "merengue-all-night",
            "new_password2": "merengue-all-night",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_change/done/"
    assert (await client.get("/accounts/password_change/done/")).status_code == 200
    assert not await browser().alogin(username="ana", password=PASSWORD)
    assert await browser().alogin(username="ana", password="merengue-all-night")


async def test_password_change_needs_a_login():
    """Signed-out visitors are sent to the log-in page."""
    response = await browser().get("/accounts/password_change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


async def test_password_reset_by_emailed_link(settings):
    """The emailed link lets the dancer set a new password and log in with it; it works once."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    await make_user("ana")
    client = browser()
    response = await client.post("/accounts/password_reset/", {"email": "ana@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    unknown = await client.post("/accounts/password_reset/", {"email": "who@example.com"})
    assert unknown["Location"] == "/accounts/password_reset/done/"  # nothing is revealed
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.com"]
    assert message.subject == "Reset your choreo password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
    form = await client.get(link, follow=True)
    assert form.status_code == 200
    assert b"new_password1" in form.content
    set_path = form.redirect_chain[-1][0]
    done = await client.post(
        set_path, {"new_password1": "bachata-forever-1", "new_password2": "bachata-forever-1"}
    )
    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"
    login = await browser().post(
        "/accounts/login/", {"username": "ana", "password": "bachata-forever-1"}
    )
    assert login.status_code == 302
    again = await browser().get(link, follow=True)
    assert b"not valid any more" in again.content


async def test_account_page_needs_a_login():
    """The account page sends a visitor to log in."""
    response = await browser().get("/accounts/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/"


async def test_tokens_are_created_listed_and_revoked():
    """A token is shown once, listed by its prefix, and revoked after a confirmation step."""
    client, _ = await signed_in("ana")
    created = await client.post("/accounts/tokens/", {"token-name": "laptop script"})
    assert created.status_code == 201
    token = re.search(rb'id="new-token" type="text" readonly value="(chor_[^"]+)"', created.content)
    token = token.group(1).decode()
    assert b"shown only this once" in created.content
    api = await AsyncClient().get(
        "/api/choreography/videos/", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200
    page = await client.get("/accounts/")
    prefix = token[:12]
    assert prefix.encode() in page.content
    assert token.encode() not in page.content
    confirm = await client.get(f"/accounts/tokens/{prefix}/revoke/")
    assert confirm.status_code == 200
    assert b"Revoke this token?" in confirm.content
    assert await ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).aexists()
    revoked = await client.post(f"/accounts/tokens/{prefix}/revoke/", follow=True)
    assert b"is revoked" in revoked.content
    assert prefix.encode() + b"\xe2\x80\xa6</code>" not in revoked.content
    api = await AsyncClient().get(
        "/api/choreography/videos/", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 401


async def test_revoke_needs_post_with_csrf():
    """A revoke POST without the CSRF token is refused."""
    user = await make_user("ana")
    client = browser(enforce_csrf_checks=True)
    await client.aforce_login(user)
    _, record = await services.create_personal_token(user, name="x")
    response = await client.post(f"/accounts/tokens/{record.prefix}/revoke/")
    assert response.status_code == 403
    assert await ApiToken.objects.filter(pk=record.pk, revoked_at__isnull=True).aexists()


async def test_another_users_token_cannot_be_revoked():
    """Bob cannot revoke Ana's token through his account page."""
    ana = await make_user("ana")
    _, record = await services.create_personal_token(ana, name="ana's")
    bob, _ = await signed_in("bob")
    confirm = await bob.get(f"/accounts/tokens/{record.prefix}/revoke/", follow=True)
    assert b"no such token" in confirm.content
    response = await bob.post(f"/accounts/tokens/{record.prefix}/revoke/", follow=True)
    assert b"no such token" in response.content
    assert await ApiToken.objects.filter(pk=record.pk, revoked_at__isnull=True).aexists()
    assert record.prefix.encode() not in (await bob.get("/accounts/")).content


async def test_preferences_are_saved_and_prefill_the_generate_page():
    """Saved defaults show on the account page and become the generate form's defaults."""
    client, user = await signed_in("ana")
    response = await client.post(
        "/accounts/preferences/",
        {
            "prefs-display_name": "Ana B.",
            "prefs-difficulty": "advanced",
            "prefs-energy_level": "high",
            "prefs-style": "sensual",
            "prefs-auto_save": "on",
        },
    )
    assert response.status_code == 302
    prefs = await services.get_preferences(user)
    assert (prefs.display_name, prefs.difficulty, prefs.style, prefs.auto_save) == (
        "Ana B.",
        "advanced",
        "sensual",
        True,
    )
    account = await client.get("/accounts/")
    assert b'<option value="sensual" selected>' in account.content
    page = await client.get("/")
    assert b"signed in as Ana B." in page.content
    defaults = page_options(page.content)["defaults"]
    assert defaults == {
        "difficulty": "advanced",
        "energy_level": "high",
        "style": "sensual",
        "auto_save": True,
    }


async def test_bad_preferences_are_refused_in_words():
    """An unknown difficulty is refused with the field's error and status 400."""
    client, user = await signed_in("ana")
    response = await client.post(
        "/accounts/preferences/",
        {"prefs-difficulty": "wizard", "prefs-energy_level": "high", "prefs-style": ""},
    )
    assert response.status_code == 400
    assert b'id="id_prefs-difficulty_error"' in response.content
    assert (await services.get_preferences(user)).difficulty == "intermediate"
