"""The practice player's newer habits in Chromium, at 1280 px and 390 px: count-in on Play, the
keyboard back on the player after a control is used with the mouse, volume, the free A-B loop
with its nudges and the 5 s seek, the overlay bar outside the picture (never mirrored), and the
phone layout (the player first, the rest folded). axe-core on each state.

One video per module (the 6.5 s test song, for paula), watched from the page. Screenshots go to
the test's tmp dir and /tmp/choreo-screenshots/: player-overlay, player-mirror, phone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.axe_asset import axe_source, serious_violations
from tests.browser import CHROMIUM, PLAYER, keep_shot, open_player, seek

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)

USER = "paula"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def state(live_site, browser, sign_in_link, tmp_path_factory) -> str:
    context = browser.new_context()
    page = context.new_page()
    page.goto(sign_in_link(live_site, USER))
    page.wait_for_selector("#generate")
    path = tmp_path_factory.mktemp("state") / f"{USER}.json"
    context.storage_state(path=str(path))
    context.close()
    return str(path)


@pytest.fixture(scope="module")
def made(live_site, browser, state) -> dict:
    """One choreography on the 6.5 s song, generated from paula's page session."""
    context = browser.new_context(storage_state=state)
    page = context.new_page()
    page.goto(f"{live_site.base}/")
    page.wait_for_selector("#generate:not([disabled])")
    made = page.evaluate(
        """async () => (await fetch('/api/choreography/generate/', { method: 'POST',
          credentials: 'same-origin', body: JSON.stringify({ song_id: 1, seed: 5, difficulty: 'beginner' }),
          headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken() } })).json()"""
    )
    context.close()
    assert made.get("status") == "completed", made
    return made


@pytest.fixture(scope="module")
def axe(tmp_path_factory) -> str:
    return axe_source(tmp_path_factory.getbasetemp())


@pytest.fixture
def desktop(live_site, browser, state, made):
    context, page = open_player(live_site, browser, state, made["task_id"], DESKTOP, muted=True)
    yield page
    context.close()
    assert page.console_errors == [], page.console_errors


def now(page) -> float:
    return page.evaluate(f"() => {PLAYER}.currentTime")


def test_count_in_plays_before_play(desktop):
    """With Count-in on, Play first shows 5 6 7 8 (four clicks) with the video paused, then plays."""
    desktop.click("#count-in")
    desktop.evaluate(
        """() => { window.seen = []; const count = document.getElementById('count');
        new MutationObserver(() => window.seen.push([count.dataset.phase, count.textContent,
          document.getElementById('player').paused]))
          .observe(count, { childList: true, attributes: true, characterData: true, subtree: true }); }"""
    )
    desktop.click("#play")
    desktop.wait_for_function(f"() => !{PLAYER}.paused", timeout=10_000)
    counted = [
        text
        for phase, text, paused in desktop.evaluate("window.seen")
        if phase == "count-in" and paused
    ]
    assert [c for c in "5678" if c in counted] == list("5678"), counted
    assert desktop.evaluate("ChoreoPlayer.state.clicks") == 4
    desktop.keyboard.press(" ")  # the keyboard pauses it: no count-in for a pause
    desktop.wait_for_function(f"() => {PLAYER}.paused")
    desktop.click("#count-in")  # off again for the next tests (it is remembered)


def test_keys_reach_the_player_after_the_mouse_chose_a_speed_or_volume(desktop, made):
    """After a speed picked with the mouse, Space plays and → goes to the next move (the
    dropdown keeps its value); after the volume slider is dragged, Space pauses."""
    desktop.click("#speed")  # a real pointer on the control
    desktop.select_option("#speed", "0.75")
    assert desktop.evaluate("document.activeElement.id") == "player-box"
    desktop.keyboard.press(" ")
    desktop.wait_for_function(f"() => !{PLAYER}.paused")
    desktop.keyboard.press(" ")
    desktop.wait_for_function(f"() => {PLAYER}.paused")
    seek(desktop, made["moves"][0]["start_time"] + 0.05)
    desktop.keyboard.press("ArrowRight")
    desktop.wait_for_function(
        f"(t) => Math.abs({PLAYER}.currentTime - t) < 0.02", arg=made["moves"][1]["start_time"]
    )
    assert desktop.input_value("#speed") == "0.75"
    desktop.locator("#volume").scroll_into_view_if_needed()
    box = desktop.locator("#volume").bounding_box()
    desktop.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    assert 0.3 < desktop.evaluate(f"{PLAYER}.volume") < 0.7
    assert desktop.evaluate("document.activeElement.id") == "player-box"
    desktop.keyboard.press(" ")
    desktop.wait_for_function(f"() => !{PLAYER}.paused")
    # From the keyboard, a control keeps the focus: arrows on the dropdown change the speed.
    desktop.keyboard.press(" ")
    desktop.focus("#speed")
    desktop.keyboard.press("ArrowDown")
    assert desktop.evaluate("document.activeElement.id") == "speed"
    desktop.select_option("#speed", "1")


def test_volume_keys_and_mute_key(desktop):
    """↓/↑ change the volume by a tenth, V mutes and unmutes; the volume is remembered."""
    desktop.locator("#player-box").focus()
    desktop.evaluate(f"() => {{ {PLAYER}.muted = false; {PLAYER}.volume = 0.8; }}")
    desktop.keyboard.press("ArrowDown")
    desktop.keyboard.press("ArrowDown")
    assert desktop.evaluate(f"{PLAYER}.volume") == pytest.approx(0.6)
    # The slider and the saved settings follow the video's volumechange event (asynchronous).
    desktop.wait_for_function(
        "() => Math.abs(document.getElementById('volume').value - 0.6) < 1e-6"
    )
    desktop.keyboard.press("ArrowUp")
    assert desktop.evaluate(f"{PLAYER}.volume") == pytest.approx(0.7)
    desktop.keyboard.press("v")
    assert desktop.evaluate(f"{PLAYER}.muted") is True
    desktop.wait_for_selector('#mute[aria-pressed="true"]')
    desktop.keyboard.press("V")
    assert desktop.evaluate(f"{PLAYER}.muted") is False
    desktop.wait_for_function(
        "() => Math.abs(JSON.parse(localStorage.getItem('choreo.player')).volume - 0.7) < 1e-6"
    )


def test_free_a_b_loop_set_nudged_and_5_second_seek(desktop, axe):
    """A and B set at the current time (keys), nudged by a second (buttons), loop between them;
    X clears; Shift+→/← seek 5 s."""
    seek(desktop, 0.5)
    desktop.locator("#player-box").focus()
    desktop.keyboard.press("a")
    seek(desktop, 3.5)
    desktop.keyboard.press("b")
    assert desktop.evaluate("ChoreoPlayer.state.ab.bounds()") == pytest.approx([0.5, 3.5], abs=0.02)
    desktop.click("#ab-a-forward")
    desktop.click("#ab-b-back")
    assert desktop.evaluate("ChoreoPlayer.state.ab.bounds()") == pytest.approx([1.5, 2.5], abs=0.02)
    assert desktop.inner_text("#ab-a") == "0:01.5" and desktop.inner_text("#ab-b") == "0:02.5"
    assert "Looping from A 0:01.5 to B 0:02.5" in desktop.inner_text("#loop-status")
    assert serious_violations(desktop, axe) == []
    seek(desktop, 2.2)
    desktop.evaluate(
        f"() => {{ window.lowest = 9; {PLAYER}.addEventListener('seeked', () => {{ window.lowest = Math.min(window.lowest, {PLAYER}.currentTime); }}); {PLAYER}.play(); }}"
    )
    desktop.wait_for_function("() => ChoreoPlayer.state.wraps >= 2", timeout=15_000)
    assert desktop.evaluate("window.lowest") == pytest.approx(1.5, abs=0.05)  # back to A
    assert now(desktop) < 2.5 + 0.1
    desktop.keyboard.press("x")
    assert desktop.evaluate("ChoreoPlayer.state.ab.bounds()") is None
    assert desktop.inner_text("#ab-a") == "\N{EN DASH}"
    desktop.evaluate(f"{PLAYER}.pause()")
    seek(desktop, 0.5)
    desktop.keyboard.press("Shift+ArrowRight")
    desktop.wait_for_function(f"() => Math.abs({PLAYER}.currentTime - 5.5) < 0.05")
    desktop.keyboard.press("Shift+ArrowLeft")
    desktop.wait_for_function(f"() => Math.abs({PLAYER}.currentTime - 0.5) < 0.05")
    desktop.keyboard.press("?")
    help_text = desktop.inner_text("#player-help")
    assert "back or forward 5 seconds" in help_text and "clear the A-B loop" in help_text
    desktop.keyboard.press("Escape")


OVERLAY_AND_VIDEO = """() => {
  const v = document.getElementById('player').getBoundingClientRect();
  const o = document.querySelector('#player-box .overlay').getBoundingClientRect();
  return { video: [v.top, v.bottom, v.left, v.right], overlay: [o.top, o.bottom, o.left, o.right] };
}"""


def outside_the_picture(page) -> dict:
    boxes = page.evaluate(OVERLAY_AND_VIDEO)
    video_top, video_bottom, *_ = boxes["video"]
    overlay_top, overlay_bottom, *_ = boxes["overlay"]
    assert overlay_top >= video_bottom or overlay_bottom <= video_top, boxes
    return boxes


def test_the_overlay_covers_no_dancer_and_mirror_never_flips_it(
    live_site, browser, state, made, tmp_path
):
    """At 1280 and 390 px the count and name sit in a bar outside the video's box; Mirror
    flips the video only (the bar and every ancestor untransformed)."""
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context, page = open_player(live_site, browser, state, made["task_id"], viewport)
        seek(page, 2.0)
        page.wait_for_function("() => document.getElementById('move-name').textContent !== ''")
        outside_the_picture(page)
        if name == "desktop":
            page.locator("#player-box").scroll_into_view_if_needed()
            keep_shot(page, tmp_path, "player-overlay", full_page=False)
        page.click("#mirror")
        assert page.evaluate(f"getComputedStyle({PLAYER}).transform") == "matrix(-1, 0, 0, 1, 0, 0)"
        unflipped = page.evaluate(
            """() => { const out = []; let e = document.getElementById('move-name');
            for (; e; e = e.parentElement) out.push(getComputedStyle(e).transform);
            return out; }"""
        )
        assert set(unflipped) == {"none"}, unflipped
        outside_the_picture(page)
        if name == "desktop":
            keep_shot(page, tmp_path, "player-mirror", full_page=False)
        page.click("#mirror")
        context.close()
        assert page.console_errors == [], page.console_errors


def test_phone_layout_puts_the_player_first_and_folds_the_rest(
    live_site, browser, state, made, tmp_path, axe
):
    """At 390 px, with a video shown, the player is the first section and every other section
    is folded under its heading (a button that opens it); the page is short."""
    context, page = open_player(live_site, browser, state, made["task_id"], PHONE)
    page.evaluate("() => window.scrollTo(0, 0)")
    tops = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('main > section')]
          .filter((s) => !s.hidden).map((s) => [s.id, s.getBoundingClientRect().top]))"""
    )
    assert min(tops, key=tops.get) == "result", tops
    toggles = page.locator("section[data-fold] h2 button.fold-toggle")
    shown = page.locator("main > section[data-fold]:not([hidden])").count()
    assert toggles.count() == shown >= 4  # songs, form, describe, my choreographies...
    assert {toggles.nth(i).get_attribute("aria-expanded") for i in range(toggles.count())} == {
        "false"
    }
    height = page.evaluate("() => document.documentElement.scrollHeight")
    print(f"phone page height with a video: {height} px")
    assert height < 2400, height
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    keep_shot(page, tmp_path, "phone")
    assert serious_violations(page, axe) == []
    songs = page.get_by_role("button", name="1. Pick a song")
    songs.click()
    assert songs.get_attribute("aria-expanded") == "true"
    assert page.locator("#song-q").is_visible()
    page.set_viewport_size(DESKTOP)  # wider: every section shown as it is, no toggles
    page.wait_for_function("() => !document.querySelector('button.fold-toggle')")
    assert page.locator("#history").is_visible()
    context.close()
    assert page.console_errors == [], page.console_errors
