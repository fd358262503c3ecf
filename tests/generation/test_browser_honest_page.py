"""An honest page, in Chromium: relaxed filters said in words, level and style on the timeline,
the video scrolled into view, a Cancel that came too late, an expired link renewed while the
dancer watches, and a download named after the song and parameters."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.browser import CHROMIUM, new_page, shot
from tests.live import copy_data_dir, run_in_server_env, start_server, wait_for

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)

ASKED = {"difficulty": "beginner", "energy_level": "low", "style": "romantic", "seed": 7}
FILTER_WORDS = {"energy_level": "energy", "style": "style", "difficulty": "level"}

HOLD_COMPLETED = """
(() => {
  // The network is slow with the last event: the server has finished, the page does not know yet.
  const original = window.fetch;
  window.fetch = async (input, init) => {
    const response = await original(input, init);
    const url = typeof input === "string" ? input : input.url;
    if (!url.includes("/generate/") || !response.body) return response;
    const reader = response.body.getReader();
    const held = new ReadableStream({
      start(controller) {
        init.signal.addEventListener("abort", () => controller.error(new DOMException("aborted", "AbortError")));
      },
      async pull(controller) {
        const { value, done } = await reader.read();
        const text = done ? "" : new TextDecoder().decode(value);
        const cut = text.indexOf("event: completed");
        if (done || cut >= 0) {
          if (cut > 0) controller.enqueue(new TextEncoder().encode(text.slice(0, cut)));
          window.completedHeld = true;
          return new Promise(() => {});
        }
        controller.enqueue(value);
      },
    });
    return new Response(held, { status: response.status, headers: response.headers });
  };
})();
"""


@pytest.fixture(scope="module")
def site(live_site):
    """The shared server: this module's users are bob and honest-*."""
    return live_site


@pytest.fixture
def page(site, browser, sign_in_link, request):
    context, page, errors = new_page(browser, height=600)
    page.goto(sign_in_link(site, f"honest-{request.node.name[5:25]}"))
    page.wait_for_selector("input[name=song]")
    page.console_errors = errors
    yield page
    context.close()
    assert errors == [], errors


def ask(page) -> None:
    page.check("#song-1")
    page.select_option("#difficulty", ASKED["difficulty"])
    page.select_option("#energy_level", ASKED["energy_level"])
    page.select_option("#style", ASKED["style"])
    page.fill("#seed", str(ASKED["seed"]))


def test_relaxed_filters_level_and_style_scroll_and_download_name(site, page):
    expected = httpx.post(
        f"{site.base}/api/choreography/generate/",
        json={"song_id": 1, **ASKED},
        headers=site.auth("bob"),
        timeout=120,
    ).json()
    assert expected["relaxed_filters"]  # six clips: too few romantic low-energy beginner moves
    ask(page)
    before = page.evaluate("() => window.scrollY")
    page.click("#generate")
    page.wait_for_selector("#result:not([hidden])", timeout=60_000)

    sentence = page.inner_text("#relaxed")
    assert "romantic low-energy beginner" in sentence
    for name in expected["relaxed_filters"]:
        assert FILTER_WORDS[name] in sentence
    assert "widened" in sentence

    # The video is scrolled into view (and focus does not pull the page back to the form).
    page.wait_for_function(
        "() => { const r = document.getElementById('result').getBoundingClientRect(); return Math.abs(r.top) < 40; }"
    )
    assert page.evaluate("() => window.scrollY") > before + 200
    assert page.evaluate("() => document.activeElement.id") == "play"
    shot(page, "honest-relaxed")

    buttons = page.locator("#timeline button")
    assert buttons.count() == len(expected["moves"])
    for i, move in enumerate(expected["moves"]):
        text = buttons.nth(i).inner_text()
        assert move["difficulty"] in text and move["style"] in text, text

    name = "short-song-beginner-low-romantic.mp4"  # named by the server: one rule (downloads.py)
    with page.expect_download() as download:
        page.click("#download")
    assert download.value.suggested_filename == name


def test_watched_from_the_history_the_page_says_again_what_was_widened(site, page, sign_in_link):
    """The video detail carries relaxed_filters: the page says them again, in the same words
    as when the video was made (the six-clip library widens every request); no move was off
    the beat, so that notice stays hidden."""
    asked = httpx.post(
        f"{site.base}/api/choreography/generate/",
        json={"song_id": 2, **ASKED},
        headers=site.auth("bob"),
        timeout=120,
    ).json()
    assert asked["relaxed_filters"]
    assert asked["off_tempo_moves"] == []  # 100 BPM: every 120 BPM clip re-timed within 1 %
    page.goto(sign_in_link(site, "bob"))
    page.wait_for_selector("#history li button")
    page.evaluate("(id) => watch(id)", asked["task_id"])
    page.wait_for_selector("#relaxed:not([hidden])")
    sentence = page.inner_text("#relaxed")
    assert "romantic low-energy beginner" in sentence and "widened" in sentence
    assert all(FILTER_WORDS[name] in sentence for name in asked["relaxed_filters"])
    assert page.is_hidden("#off-tempo")
    link = page.get_attribute("#download", "href")
    assert "filename=shorter-song-beginner-low-romantic.mp4" in link and "download=1" in link


def test_cancel_after_the_server_finished_shows_the_video(site, page):
    page.add_init_script(HOLD_COMPLETED)
    page.reload()
    page.wait_for_selector("input[name=song]")
    ask(page)
    page.click("#generate")
    page.wait_for_function("() => window.completedHeld === true", timeout=60_000)
    assert site.task_rows()[0]["status"] == "completed"
    assert page.is_visible("#cancel")
    page.click("#cancel")
    page.wait_for_selector("#result:not([hidden])")
    assert "already finished" in page.inner_text("#notice")
    assert page.is_hidden("#error")
    assert page.locator("#timeline button").count() >= 1
    page.wait_for_function("() => document.getElementById('player').readyState >= 2")
    shot(page, "honest-cancel-too-late")


@pytest.fixture(scope="module")
def short_links(live_template, tmp_path_factory):
    """A server whose video links live three seconds."""
    data_dir = copy_data_dir(live_template, tmp_path_factory.mktemp("ttl") / "data")
    server = start_server(data_dir, CHOREO_URL_TTL_S="3")
    yield server
    server.stop()


def test_an_expired_link_is_renewed_and_seeking_still_works(short_links, browser, sign_in_link):
    site = short_links
    made = httpx.post(
        f"{site.base}/api/choreography/generate/",
        json={"song_id": 1, "seed": 5},
        headers=site.auth("alice"),
        timeout=120,
    ).json()
    context, page, errors = new_page(browser)
    page.goto(sign_in_link(site, "alice"))
    page.wait_for_selector("#history li button")
    page.evaluate("(id) => watch(id)", made["task_id"])
    page.wait_for_function("() => document.getElementById('player').readyState >= 2")
    first = page.evaluate("() => document.getElementById('player').src")
    page.evaluate(
        "() => { const v = document.getElementById('player'); v.muted = true; v.play(); }"
    )

    # Renewed before it expires, while playing, without stopping.
    page.wait_for_function("(first) => document.getElementById('player').src !== first", arg=first)
    expires = int(parse_qs(urlsplit(first).query)["expires"][0])
    wait_for(lambda: time.time() > expires + 0.5, timeout=10, what="the first link to expire")
    assert httpx.get(first).status_code == 403
    assert page.evaluate("() => document.getElementById('player').paused") is False
    assert page.get_attribute("#download", "href") != first

    page.evaluate(  # it may have played to its end meanwhile: seek, then play on
        "() => { const v = document.getElementById('player'); v.currentTime = 4.0; v.play(); }"
    )
    page.wait_for_function(
        """() => { const v = document.getElementById('player');
        return !v.seeking && v.currentTime > 4.2 && v.readyState >= 3 && !v.error; }""",
        timeout=15_000,
    )

    # A link that already expired (a tab left open) is renewed when the video fails to load.
    # (The first link itself may still play from Chromium's media cache: ask for another URL.)
    stale = f"{first}&tab=left-open"
    assert httpx.get(stale).status_code == 403
    page.evaluate(
        """async (old) => { const v = document.getElementById('player'); window.mediaErrors = 0;
        clearTimeout(ChoreoPlayer.links.timer);  // only the error can renew it now
        await ChoreoPlayer.links.renewing;
        v.addEventListener('error', () => { window.mediaErrors += 1; }); v.pause(); v.src = old; }""",
        stale,
    )
    page.wait_for_function(
        """(old) => { const v = document.getElementById('player');
        return v.src !== old && v.readyState >= 2 && !v.error; }""",
        arg=stale,
        timeout=15_000,
    )
    page.evaluate("() => { document.getElementById('player').currentTime = 2.0; }")
    page.wait_for_function(
        "() => { const v = document.getElementById('player'); return !v.seeking && Math.abs(v.currentTime - 2.0) < 0.05; }"
    )
    assert page.evaluate("() => window.mediaErrors") == 1  # the expired link was tried, refused
    context.close()
    # Chromium logs the refused load of the stale link; nothing else.
    assert all("status of 403" in e and "tab=left-open" in e for e in errors), errors


FAR_TEMPO = """
import django
django.setup()
from choreography.models import Song

Song.objects.filter(pk=2).update(bpm=200.0)  # the clips are filmed at 120 BPM: +67 %
"""


@pytest.fixture(scope="module")
def far_song(live_template, tmp_path_factory):
    """A server whose second song is far faster than any clip can be re-timed to (±30 %)."""
    data_dir = copy_data_dir(live_template, tmp_path_factory.mktemp("far") / "data")
    run_in_server_env(data_dir, FAR_TEMPO)
    server = start_server(data_dir)
    yield server
    server.stop()


def test_moves_danced_off_the_beat_are_named_on_the_page_and_again_from_history(
    far_song, browser, sign_in_link
):
    """Every move is past the re-timing limit: the page names them and how far off the beat
    they are, when the video is made and when it is watched again from the history."""
    context, page, errors = new_page(browser, height=600)
    page.goto(sign_in_link(far_song, "bob"))
    page.wait_for_selector("input[name=song]")
    page.check("#song-2")
    page.click("#generate")
    page.wait_for_selector("#result:not([hidden])", timeout=60_000)
    made = page.evaluate("() => document.getElementById('result').dataset.taskId")
    detail = httpx.get(
        f"{far_song.base}/api/choreography/videos/{made}/", headers=far_song.auth("bob")
    ).json()
    assert detail["off_tempo_moves"]
    worst = max(m["tempo_error_percent"] for m in detail["moves"])
    assert worst > 1.0

    def says_it() -> str:
        sentence = page.inner_text("#off-tempo")
        assert page.is_visible("#off-tempo")
        assert (
            sentence.startswith("Off the beat:")
            and f"{worst:.1f} % off the song's tempo" in sentence
        )
        labels = {m["label"] for m in detail["moves"] if m["name"] in detail["off_tempo_moves"]}
        assert all(label in sentence for label in labels), (labels, sentence)
        return sentence

    first = says_it()
    shot(page, "honest-off-tempo")
    page.reload()
    page.wait_for_selector("#history li button")
    assert page.is_hidden("#off-tempo")
    page.evaluate("(id) => watch(id)", made)
    page.wait_for_selector("#result:not([hidden])")
    assert says_it() == first
    context.close()
    assert errors == [], errors
