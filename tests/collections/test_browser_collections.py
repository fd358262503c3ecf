"""My choreographies in a real browser (Chromium, Playwright, a live uvicorn): save, rename,
share (the link opened without a session), delete. (The list, dialog and filter in detail:
test_browser_my_choreographies.py.)"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import CHROMIUM, new_page

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def site(live_site):
    """The shared server: this module's user is dancer-collections."""
    return live_site


def test_save_rename_share_and_delete(site, browser, sign_in_link):
    """Generate, save, rename, share (a fresh context without a session plays it), delete."""
    context, page, errors = new_page(browser)
    page.goto(sign_in_link(site, "dancer-collections"))
    page.wait_for_selector("input[name=song]")
    page.check("#song-1")
    page.fill("#seed", "5")
    page.click("#generate")
    page.wait_for_selector("#result:not([hidden])", timeout=60_000)

    page.click("#save-result")
    page.click("#save-confirm")  # the suggested title
    page.wait_for_selector("#collection li.saved")
    assert "Short Song — intermediate, medium" in page.inner_text("#collection")
    assert "MB used of 2048" in page.inner_text("#usage")

    page.click("#collection li.saved >> text=Edit")
    page.fill("#collection li.saved input[name=title]", "Sunday class")
    page.click("#collection li.saved >> text=Save changes")
    page.wait_for_selector("#collection .saved-title:text('Sunday class')")

    page.click("#collection li.saved >> text=Share")
    page.wait_for_selector("#collection a.share-url")
    url = page.get_attribute("#collection a.share-url", "href")
    parts = urlsplit(url)
    public = site.base + parts.path

    stranger, shared, stranger_errors = new_page(browser)
    response = shared.goto(public)
    assert response.status == 200
    assert shared.inner_text("h2") == "Sunday class"
    shared.wait_for_function("document.getElementById('player').readyState >= 1")
    assert shared.locator("#timeline li").count() >= 1
    stranger.close()
    assert stranger_errors == [], stranger_errors

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#collection li.saved >> text=Delete")
    page.wait_for_selector("#collection li:text('Nothing saved yet.')")

    gone, again, _gone_errors = new_page(browser)
    assert again.goto(public).status == 404
    gone.close()
    context.close()
    assert errors == [], errors


VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def test_pages_under_the_content_security_policy(site, browser, sign_in_link):
    """The main pages, signed in and out, each with its Content-Security-Policy: nothing is
    blocked (no CSP console error, no securitypolicyviolation event) and the account page's new
    token is selected by account.js. (The shared page, its video through the checked link, is
    played under the policy by test_save_rename_share_and_delete.)"""
    context, page, errors = new_page(browser)
    context.add_init_script(VIOLATIONS)
    page.goto(sign_in_link(site, "dancer-collections"))
    page.wait_for_selector("input[name=song]")
    visits = [page.goto(site.base + "/")]
    page.wait_for_selector("#generate:not([disabled])")
    visits.append(page.goto(site.base + "/accounts/"))
    page.fill("#id_token-name", "csp check")
    page.get_by_role("button", name="Create a token").click()
    page.wait_for_selector("#new-token")
    start, end, length = page.evaluate(
        "() => { const t = document.getElementById('new-token');"
        " return [t.selectionStart, t.selectionEnd, t.value.length]; }"
    )
    assert (start, end) == (0, length) and length > 0  # account.js, not an onfocus attribute
    visits.append(page.goto(site.base + "/accounts/password_change/"))
    assert all(visit.status == 200 for visit in visits)
    for visit in visits:
        assert "script-src 'self'" in visit.headers["content-security-policy"]
    assert page.evaluate("window.__csp") == []
    context.close()

    stranger, anonymous, stranger_errors = new_page(browser)
    stranger.add_init_script(VIOLATIONS)
    for path in ("/", "/accounts/login/", "/accounts/signup/", "/accounts/password_reset/"):
        response = anonymous.goto(site.base + path)
        assert response.status == 200, path
        assert "content-security-policy" in response.headers, path
        assert anonymous.evaluate("window.__csp") == [], path
    stranger.close()
    csp_errors = [e for e in errors + stranger_errors if "Content Security Policy" in e]
    assert csp_errors == [] and errors == [] and stranger_errors == [], errors + stranger_errors
