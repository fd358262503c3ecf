"""Accounts in a real browser: Debian's Chromium driven by Playwright against a live uvicorn.

Screenshots are saved under ``screenshots/`` (git-ignored) as ``acc-*.png``.
"""

from __future__ import annotations

import pytest

from tests.browser import CHROMIUM, new_page, shot

pytestmark = pytest.mark.skipif(
    not __import__("pathlib").Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
)
PASSWORD = "cumbia-under-the-stars"


@pytest.fixture(scope="module")
def site(live_site):
    """The shared server: this module's user is rosa, who signs up."""
    return live_site


def test_sign_up_generate_log_out_log_in_and_keep_preferences(site, browser):
    """A visitor signs up, makes a video, logs out and in, finds it, and saved defaults prefill."""
    context, page, errors = new_page(browser)
    page.goto(site.base + "/")
    page.locator("header").get_by_role("link", name="Sign up").click()
    page.fill("#id_username", "rosa")
    page.fill("#id_email", "rosa@example.com")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", "not-the-same-one")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_selector("#id_password2_error")
    assert page.get_attribute("#id_password2", "aria-invalid") == "true"
    shot(page, "acc-1-signup-error")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_selector("input[name=song]")
    assert "signed in as rosa" in page.inner_text("header")

    page.check("#song-1")
    page.fill("#seed", "3")
    page.click("#generate")
    page.wait_for_selector("#result:not([hidden])", timeout=60_000)
    shot(page, "acc-2-generated")

    page.click("#logout")
    page.locator("header").get_by_role("link", name="Log in").click()
    page.fill("#id_username", "rosa")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("input[name=song]")
    page.wait_for_selector("#history li button")
    assert "Watch" in page.inner_text("#history")

    page.get_by_role("link", name="Account").click()
    page.fill("#id_prefs-display_name", "Rosa M.")
    page.select_option("#id_prefs-difficulty", "advanced")
    page.select_option("#id_prefs-energy_level", "high")
    page.select_option("#id_prefs-style", "playful")
    page.get_by_role("button", name="Save preferences").click()
    page.wait_for_selector("text=Your preferences are saved.")
    page.fill("#id_token-name", "my script")
    page.get_by_role("button", name="Create a token").click()
    token = page.input_value("#new-token")
    assert token.startswith("chor_")
    shot(page, "acc-3-account")

    page.goto(site.base + "/")
    page.wait_for_selector("input[name=song]")
    assert "signed in as Rosa M." in page.inner_text("header")
    assert page.input_value("#difficulty") == "advanced"
    assert page.input_value("#energy_level") == "high"
    assert page.input_value("#style") == "playful"
    context.close()
    assert errors == [], errors


def test_account_pages_fit_a_phone(site, browser):
    """At 390 px wide the sign-up and log-in pages fit without horizontal scrolling."""
    context, page, errors = new_page(browser, width=390, height=844)
    widths = {}
    for path in ("/", "/accounts/signup/", "/accounts/login/", "/accounts/password_reset/"):
        page.goto(site.base + path)
        widths[path] = page.evaluate("() => document.documentElement.scrollWidth")
    shot(page, "acc-4-phone-reset")
    context.close()
    assert all(width <= 390 for width in widths.values()), widths
    assert errors == [], errors
