"""Chromium saves a generated video under the song's and the parameters' name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import CHROMIUM, new_page
from tests.live import copy_data_dir, start_server
from tests.test_browser import sign_in_link

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def site(live_template, tmp_path_factory):
    data_dir = copy_data_dir(live_template, tmp_path_factory.mktemp("download") / "data")
    server = start_server(data_dir)
    yield server
    server.stop()


def test_the_download_link_saves_under_the_song_and_parameters(site, browser):
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
