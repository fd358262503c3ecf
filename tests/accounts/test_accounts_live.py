"""Accounts against a real ``serve``: the password-reset email flow end to end (the console
email backend prints the link in the server's output), and CORS on the generate stream."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.live import wait_for

BROWSER = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def server(live_site):
    """The browser tests' shared server (tests/browser.py), which allows CORS from
    https://app.example; its users are forgetful and dave (whose token reads the stream)."""
    return live_site


def csrf_post(client: httpx.Client, url: str, data: dict) -> httpx.Response:
    """GET the form (for the CSRF cookie), then POST it like a browser does."""
    client.get(url, headers=BROWSER)
    token = client.cookies["csrftoken"]
    return client.post(
        url, data={**data, "csrfmiddlewaretoken": token}, headers={**BROWSER, "Referer": url}
    )


def test_password_reset_by_the_emailed_link(server):
    """A dancer who forgot the password asks for a link, follows the one the server printed,
    sets a new password and logs in with it; the old one no longer works."""
    base = server.base
    registered = httpx.post(
        f"{base}/api/auth/register/",
        json={
            "username": "forgetful",
            "email": "forgetful@example.com",
            "password": "old-Pass-4421",
        },
    )
    assert registered.status_code == 201
    # The address counts once the link mailed at sign-up is followed (security #24 item 10).
    confirm, _ = wait_for(
        lambda: re.findall(r"http://\S+/accounts/email/confirm/\S+/", server.log()),
        timeout=10,
        what="the e-mail confirmation link in the server output",
    )
    assert httpx.get(confirm[-1], headers=BROWSER).status_code == 200
    with httpx.Client(follow_redirects=True) as browser:
        sent = csrf_post(
            browser, f"{base}/accounts/password_reset/", {"email": "forgetful@example.com"}
        )
        assert sent.status_code == 200
        link, _ = wait_for(
            lambda: re.findall(r"http://\S+/accounts/reset/\S+/", server.log()),
            timeout=10,
            what="the reset link in the server output",
        )
        form = browser.get(link[-1], headers=BROWSER)
        assert form.status_code == 200 and 'name="new_password1"' in form.text
        new = {"new_password1": "new-Pass-9917", "new_password2": "new-Pass-9917"}
        done = browser.post(
            str(form.url),
            data={**new, "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            headers={**BROWSER, "Referer": str(form.url)},
        )
        assert done.status_code == 200
    login = {"username": "forgetful"}
    fresh = httpx.post(f"{base}/api/auth/login/", json={**login, "password": "new-Pass-9917"})
    assert fresh.status_code == 200
    stale = httpx.post(f"{base}/api/auth/login/", json={**login, "password": "old-Pass-4421"})
    assert stale.status_code == 401


def test_the_generate_stream_is_readable_cross_origin(server):
    """A single-page app on an allowed origin reads the SSE stream with a bearer token."""
    with httpx.stream(
        "POST",
        f"{server.base}/api/choreography/generate/",
        json={"song_id": 1},
        headers={
            **server.auth("dave"),
            "Accept": "text/event-stream",
            "Origin": "https://app.example",
        },
        timeout=120,
    ) as response:
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://app.example"
        body = "".join(response.iter_text())
    assert "event: completed" in body
