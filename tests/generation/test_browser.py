"""The web page in a real browser: Debian's Chromium driven by Playwright against a live uvicorn.

Screenshots of each state are saved under ``screenshots/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import CHROMIUM, new_page, shot
from tests.live import child_pids, copy_data_dir, start_server, wait_for

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def site(long_template, tmp_path_factory):
    data_dir = copy_data_dir(long_template, tmp_path_factory.mktemp("browser") / "data")
    server = start_server(data_dir)
    yield server
    server.stop()


@pytest.fixture
def page(site, browser, sign_in_link, request):
    context, page, errors = new_page(browser)
    page.goto(sign_in_link(site, f"dancer-{request.node.name[:20]}"))
    page.wait_for_selector("input[name=song]")
    page.console_errors = errors  # a test that provokes an HTTP error removes what it expects
    yield page
    context.close()
    assert errors == [], errors


def test_generate_watch_seek_and_follow_the_timeline(site, page):
    """Sign in, generate, watch the progress, play, seek (Range), and see the move highlighted."""
    shot(page, "1-signed-in")
    page.check("#song-1")
    page.select_option("#difficulty", "beginner")
    page.fill("#seed", "7")
    page.evaluate(
        """() => { window.stagesSeen = [];
        new MutationObserver(() => window.stagesSeen.push(document.getElementById('stage').dataset.stage))
          .observe(document.getElementById('stage'), {attributes: true, childList: true}); }"""
    )
    page.click("#generate")
    page.wait_for_selector("#result:not([hidden])", timeout=60_000)
    shot(page, "2-done")
    stages = page.evaluate("window.stagesSeen")
    assert "completed" in stages
    assert len(set(stages) & {"fetching", "concatenating", "adding_audio", "uploading"}) >= 2
    assert page.eval_on_selector("#progress", "p => p.value") == 100

    page.evaluate(
        "() => { const v = document.getElementById('player'); v.muted = true; v.play(); }"
    )
    page.wait_for_function(
        "() => { const v = document.getElementById('player'); return v.currentTime > 0.5 && v.readyState >= 3; }",
        timeout=30_000,
    )
    page.evaluate("() => { document.getElementById('player').currentTime = 4.2; }")
    page.wait_for_function(
        "() => { const v = document.getElementById('player'); return !v.seeking && v.currentTime >= 4.2 && v.readyState >= 3; }",
        timeout=30_000,
    )
    current = page.evaluate(
        """() => { const t = document.getElementById('player').currentTime;
        const b = [...document.querySelectorAll('#timeline button')]
          .find(b => t >= Number(b.dataset.start) && t < Number(b.dataset.end));
        return b && b.getAttribute('aria-current'); }"""
    )
    assert current == "true"
    shot(page, "3-playing")
    assert page.locator("#history li").count() >= 1
    assert page.get_attribute("#download", "href").startswith("/media/") or page.get_attribute(
        "#download", "href"
    ).startswith("http")


def test_a_part_of_the_song_from_the_form(site, page):
    """Length 20 s of the half-hour song: the video lasts that part, on whole phrases (the
    server answers the part it made, and the page says it)."""
    page.check("#song-3")  # the half-hour song (long_template)
    page.fill("#duration_seconds", "20")
    with page.expect_response("**/api/choreography/generate/") as answer:
        page.click("#generate")
    assert answer.value.ok, answer.value.text()
    page.wait_for_selector("#result:not([hidden])", timeout=60_000)
    shown = page.text_content("#result-section")
    assert page.is_visible("#result-section") and "part of the song: " in shown
    page.wait_for_function("() => document.getElementById('player').duration > 0", timeout=30_000)
    duration = page.evaluate("document.getElementById('player').duration")
    assert 12 <= duration <= 28  # 20 s to the nearest phrase end (a phrase is at most 8 s)
    shot(page, "2b-section")


def test_cancel_stops_the_server_side_work(site, page):
    """Cancel aborts the request; the server kills FFmpeg and marks the task failed."""
    page.check("#song-3")  # the 30-minute song keeps FFmpeg busy for seconds
    page.click("#generate")
    wait_for(
        lambda: (
            site.task_rows()
            and site.task_rows()[0]["stage"] in {"fetching", "concatenating", "adding_audio"}
        ),
        timeout=60,
        what="the generation to start",
    )
    page.click("#cancel")
    page.wait_for_selector("#error:not([hidden])")
    assert "Cancelled" in page.inner_text("#error")
    shot(page, "4-cancelled")

    def failed_row():
        row = site.task_rows()[0]
        return row if row["status"] == "failed" else None

    row, _ = wait_for(
        failed_row,
        timeout=10,
        what="the task to be marked failed",
    )
    assert row["error"] == "client disconnected"
    wait_for(
        lambda: not [p for p in child_pids(site.pid) if _is_ffmpeg(p)],
        timeout=10,
        what="no FFmpeg child",
    )


def _is_ffmpeg(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip().startswith("ffmpeg")
    except OSError:
        return False


def test_errors_are_shown_in_words(site, page):
    """A failure is shown as a sentence with the stage, never a trace."""
    page.evaluate("() => { document.querySelector('#song-1').value = '999999'; }")
    page.check("#song-1")
    page.click("#generate")
    page.wait_for_selector("#error:not([hidden])")
    text = page.inner_text("#error")
    assert "999999" in text and "while" in text
    assert "Traceback" not in text
    shot(page, "5-error")
    expected = [e for e in page.console_errors if "status of 404" in e and "/generate/" in e]
    assert len(expected) == 1  # Chromium logs every failed fetch; this one is the point
    page.console_errors.remove(expected[0])


def test_phone_width_layout(site, browser, sign_in_link):
    """At 390 px wide the controls fit without horizontal scrolling."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(sign_in_link(site, "phone-user"))
    page.wait_for_selector("#generate")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    shot(page, "6-phone")
    context.close()
    assert width <= 390
