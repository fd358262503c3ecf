"""Security issue #24, items 7, 9 and 10: token lifetimes and revocation, sign-in links that are
not password-reset links, and one e-mail rule that never tells whether an address is known."""

from __future__ import annotations

import datetime as dt

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
