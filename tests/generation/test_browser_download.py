"""Chromium saves a generated video under the song's and the parameters' name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import CHROMIUM, new_page

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def site(live_site):
    """The shared server: this module's user is downloader."""
    return live_site


def test_the_download_link_saves_under_the_song_and_parameters(site, browser, sign_in_link):
    context, page, errors = new_page(browser)
    try:
        page.goto(sign_in_link(site, "downloader"))
        page.wait_for_selector("input[name=song]")
        page.check("#song-1")  # "Short Song"
        page.select_option("#difficulty", "beginner")
        page.select_option("#energy_level", "medium")
        page.select_option("#style", "romantic")
        page.click("#generate")
        page.wait_for_selector("#result:not([hidden])", timeout=60_000)
        with page.expect_download() as download:
            page.click("#download")
        assert download.value.suggested_filename == "short-song-beginner-medium-romantic.mp4"
        saved = Path(download.value.path())
        assert saved.read_bytes()[4:8] == b"ftyp"  # the MP4 itself
        assert errors == [], errors
    finally:
        context.close()
