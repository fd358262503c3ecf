"""The song list in a real browser: search, BPM filter, sorting and pages over ~30 songs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, new_page
from tests.live import cached_template, copy_data_dir, run_in_server_env, seed, start_server

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)

SONGS_SCRIPT = """
import django
django.setup()
from choreography.models import Song
for i in range(30):
    title = "Obsesión" if i == 7 else f"Canción {i:02d}"
    Song.objects.create(
        title=title, artist=("Aventura", "Romeo Santos", "Prince Royce")[i % 3],
        genre="salsa" if i % 5 == 0 else "bachata", bpm=100.0 + i,
        duration_seconds=180.0 + i, audio_key=f"songs/none-{i}.m4a", content_hash=f"row-{i}",
    )
"""


def build_catalog(root: Path) -> None:
    data_dir = root / "data"
    data_dir.mkdir()
    seed(data_dir, users=("alice",))  # migrated, no media: songs are inserted as rows below
    run_in_server_env(data_dir, SONGS_SCRIPT)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A server on a copy of the catalog template (cached like the others, and rebuilt when
    SONGS_SCRIPT changes: its digest is in the name)."""
    name = "catalog-template-" + hashlib.sha256(SONGS_SCRIPT.encode()).hexdigest()[:8]
    template = cached_template(name, build_catalog) / "data"
    server = start_server(copy_data_dir(template, tmp_path_factory.mktemp("catalog") / "data"))
    yield server
    server.stop()


def sign_in(page, link: str) -> None:
    page.goto(link)
    page.wait_for_selector("input[name=song]")


def rows(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "#song-rows tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent.trim()))"
    )


def wait_status(page, text: str) -> None:
    page.wait_for_function(
        "t => document.getElementById('song-status').textContent === t", arg=text
    )


def test_search_filter_sort_and_page_the_songs(site, browser, sign_in_link):
    """Accent-free search, a BPM range, sorting by BPM and paging all update the list."""
    context, page, errors = new_page(browser)
    sign_in(page, sign_in_link(site, "dancer-catalog"))
    assert page.text_content("#song-status") == "30 songs"
    assert len(rows(page)) == 20
    assert page.text_content("#song-page") == "page 1 of 2"

    page.get_by_label("Search songs").fill("obsesion")
    wait_status(page, "1 song")
    assert [r[1] for r in rows(page)] == ["Obsesión"]

    page.get_by_label("Search songs").fill("")
    page.get_by_label("BPM from").fill("110")
    page.get_by_label("BPM to").fill("119")
    wait_status(page, "10 songs")
    assert sorted(int(r[4]) for r in rows(page)) == list(range(110, 120))

    page.get_by_label("Sort by").select_option("-bpm")
    page.wait_for_function(
        "() => document.querySelector('#song-rows tr td:nth-child(5)').textContent === '119'"
    )
    assert [int(r[4]) for r in rows(page)] == list(range(119, 109, -1))

    page.get_by_label("BPM from").fill("")
    page.get_by_label("BPM to").fill("")
    wait_status(page, "30 songs")
    assert page.is_disabled("#song-prev")
    page.click("#song-next")
    page.wait_for_function(
        "() => document.getElementById('song-page').textContent === 'page 2 of 2'"
    )
    assert [int(r[4]) for r in rows(page)] == list(range(109, 99, -1))
    assert page.is_disabled("#song-next")

    page.check("#song-rows tr:first-child input[name=song]")  # a song on page 2 stays chosen
    chosen = page.text_content("#song-rows tr:first-child label")
    page.click("#song-prev")
    page.wait_for_function(
        "() => document.getElementById('song-page').textContent === 'page 1 of 2'"
    )
    assert page.text_content("#song-chosen") == chosen
    context.close()
    assert errors == [], errors


def test_the_song_list_fits_a_phone(site, browser, sign_in_link):
    """On a 390 px wide screen the filters and list fit without sideways scrolling."""
    context, page, errors = new_page(browser, width=390, height=844)
    sign_in(page, sign_in_link(site, "dancer-phone"))
    page.get_by_label("Search songs").fill("romeo")
    wait_status(page, "10 songs")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    context.close()
    assert errors == [], errors
