"""One "My choreographies" list in Chromium (desktop 1280 px and phone 390 px): the choices'
hints, Variation and Shuffle, the save dialog, edit in place, the every-attempt filter with Try
again, a delete that updates every list at once, errors shown inside the item that caused them,
and axe-core.

Screenshots go to the test's tmp dir and to /tmp/choreo-screenshots/: ``save-dialog.png``,
``my-choreographies.png`` (desktop) and ``my-choreographies-phone.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from choreography.music.vocabulary import (
    ANY_STYLE_DESCRIPTION,
    DIFFICULTY_DESCRIPTIONS,
    STYLE_DESCRIPTIONS,
)
from tests.axe_asset import axe_source, serious_violations
from tests.browser import CHROMIUM, keep_shot, new_page
from tests.live import run_in_server_env

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)

ATTEMPTS = """
import sys
import django
django.setup()
from django.contrib.auth import get_user_model
from choreography.models import ChoreographyTask, Song

user = get_user_model().objects.get(username=sys.argv[1])
song = Song.objects.order_by("id").first()
for error, stage, seed in (("the clips could not be joined", "concatenating", 42),
                           ("client disconnected", "fetching", 43)):
    ChoreographyTask.objects.create(
        user=user, song=song, status="failed", stage=stage, error=error,
        parameters={"song_id": song.id, "difficulty": "beginner", "energy_level": "low",
                    "style": "sensual", "seed": seed},
    )
"""


AUTO_SAVE = """
import sys
import django
django.setup()
from django.contrib.auth import get_user_model
from choreography.accounts.models import Profile

user = get_user_model().objects.get(username=sys.argv[1])
Profile.objects.update_or_create(user=user, defaults={"preferences": {"auto_save": True}})
"""


@pytest.fixture(scope="module")
def site(live_site):
    """The shared server: this module's users are dancer-mine and dancer-mine-phone."""
    return live_site


def generate(page, seed: int) -> None:
    page.check("#song-1")
    page.fill("#seed", str(seed))
    page.click("#generate")
    shown(page, seed)


def shown(page, seed: int) -> None:
    """Waits until the player shows the video of variation ``seed``."""
    page.wait_for_selector(f"#result:not([hidden]) #result-seed:text-is('{seed}')", timeout=60_000)


def inside_item(locator) -> bool:
    """The element is shown inside a list item, within the viewport (not at the page's top)."""
    return locator.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return !!e.closest('li') && !e.hidden && r.top >= 0 && r.bottom <= innerHeight; }"
    )


def test_one_list_save_dialog_edit_try_again_and_delete(
    site, browser, sign_in_link, tmp_path, tmp_path_factory
):
    """Desktop: hints follow the selectors, Shuffle draws a variation; Save opens a dialog
    with a suggested title and multi-line notes (an empty title is refused inside it); the
    saved item is edited in place (no browser prompt); the filter shows every attempt, failed
    and cancelled with Try again (which re-runs their parameters); a delete removes the item
    everywhere and its attempt says deleted; errors appear inside the item; axe is clean."""
    context, page, errors = new_page(browser, width=1280)
    prompts: list[str] = []
    page.on("dialog", lambda d: (prompts.append(d.type), d.accept()))
    page.goto(sign_in_link(site, "dancer-mine"))
    run_in_server_env(site.data_dir, ATTEMPTS, "dancer-mine")
    page.wait_for_selector("#generate:not([disabled])")

    styles = page.locator("#style option").evaluate_all("os => os.map(o => o.value)")
    assert styles == ["", "romantic", "energetic", "sensual", "playful"]
    assert page.inner_text("#style-hint") == ANY_STYLE_DESCRIPTION
    page.select_option("#style", "sensual")
    assert page.inner_text("#style-hint") == STYLE_DESCRIPTIONS["sensual"]
    page.select_option("#difficulty", "advanced")
    assert page.inner_text("#difficulty-hint") == DIFFICULTY_DESCRIPTIONS["advanced"]
    page.select_option("#difficulty", "intermediate")
    page.select_option("#style", "")
    assert page.get_by_label("Variation").get_attribute("id") == "seed"
    page.get_by_role("button", name="Shuffle").click()
    first = page.input_value("#seed")
    page.get_by_role("button", name="Shuffle").click()
    assert first.isdigit() and page.input_value("#seed").isdigit()
    assert page.input_value("#seed") != first

    generate(page, 5)
    page.click("#save-result")
    page.wait_for_selector("#save-dialog[open]")
    assert page.input_value("#save-title") == "Short Song — intermediate, medium"
    page.fill("#save-title", "  ")
    page.click("#save-confirm")
    assert page.inner_text("#save-error") == "Give it a title."
    assert page.is_visible("#save-dialog[open] #save-error")
    page.fill("#save-title", "Sunday class")
    assert page.is_hidden("#save-error")  # a title given: the error goes
    page.fill("#save-notes", "Slow turns first\nthen the dip on 8")
    keep_shot(page, tmp_path, "save-dialog", full_page=False)
    source = axe_source(tmp_path_factory.getbasetemp())
    assert serious_violations(page, source) == []
    page.click("#save-confirm")
    page.wait_for_selector("#save-dialog", state="hidden")
    saved = page.locator("#collection li.saved", has_text="Sunday class")
    saved.wait_for()
    assert saved.locator(".notes").inner_text() == "Slow turns first\nthen the dip on 8"
    assert page.is_disabled("#save-result")
    assert "Sunday class" in page.inner_text("#save-status")

    saved.get_by_role("button", name="Edit “Sunday class”").click()
    page.fill("#collection li.saved input[name=title]", "Sunday class, level 2")
    page.fill(
        "#collection li.saved textarea[name=notes]", "Slow turns first\nthen the dip\nbreathe"
    )
    page.get_by_role("button", name="Save changes").click()
    edited = page.locator("#collection li.saved", has_text="Sunday class, level 2")
    edited.wait_for()
    assert edited.locator(".notes").inner_text() == "Slow turns first\nthen the dip\nbreathe"
    assert prompts == []  # no prompt() box anywhere

    generate(page, 6)  # not saved: listed under the saved ones, with Watch and Save…
    unsaved = page.locator("#history li.attempt.completed")
    unsaved.first.wait_for()
    assert unsaved.count() == 1
    assert unsaved.first.get_by_role("button", name="Save Short Song", exact=False).is_visible()

    page.select_option("#collection-show", "attempts")
    failed = page.locator("#history li.attempt.failed")
    failed.wait_for()
    assert "failed: the clips could not be joined (while joining the clips)" in failed.inner_text()
    assert "cancelled: you cancelled" in page.inner_text("#history li.attempt.cancelled")
    assert page.locator("#history li.attempt.completed").count() == 1  # the unsaved one
    assert page.locator("#history li", has_text="Sunday class").count() == 0  # saved: above

    failed.get_by_role("button", name="Try again").click()
    shown(page, 42)
    assert page.input_value("#style") == "sensual" and page.input_value("#difficulty") == (
        "beginner"
    )
    assert page.inner_text("#style-hint") == STYLE_DESCRIPTIONS["sensual"]

    # An error is shown inside the item that caused it: edit an item deleted elsewhere.
    other = context.new_page()
    other.on("dialog", lambda d: d.accept())
    other.goto(site.base + "/")
    gone = other.locator("#collection li.saved", has_text="Sunday class, level 2")
    gone.get_by_role("button", name="Delete “Sunday class, level 2”").click()
    other.wait_for_selector("#collection li:text('Nothing saved yet.')")
    other.close()
    edited.get_by_role("button", name="Edit “Sunday class, level 2”").click()
    page.get_by_role("button", name="Save changes").click()
    error = edited.locator(".item-error")
    error.wait_for()
    assert "no saved choreography" in error.inner_text().lower()
    assert inside_item(error)
    assert page.is_hidden("#error")

    # Delete: every list changes at once, and the attempt says it was deleted.
    page.reload()
    page.wait_for_selector("#generate:not([disabled])")
    generate(page, 7)
    page.click("#save-result")
    page.fill("#save-title", "To delete")
    page.click("#save-confirm")
    doomed = page.locator("#collection li.saved", has_text="To delete")
    doomed.wait_for()
    task_id = doomed.get_attribute("data-task-id")
    doomed.get_by_role("button", name="Delete “To delete”").click()
    page.wait_for_selector("#collection li:text('Nothing saved yet.')")
    assert page.is_hidden("#result")  # the player let go of the deleted video
    assert page.locator(f"#history li[data-task-id='{task_id}']").count() == 0
    page.select_option("#collection-show", "attempts")
    marked = page.locator(f"#history li[data-task-id='{task_id}']")
    marked.wait_for()
    assert "deleted: you deleted this video" in marked.inner_text()
    assert marked.get_by_role("button", name="Try again").is_visible()
    assert 'Deleted "To delete".' in page.inner_text("#collection-status")
    keep_shot(page, tmp_path, "my-choreographies", section="#my-choreographies")
    assert serious_violations(page, source) == []
    assert prompts == ["confirm"]  # the delete asks first; nothing else
    context.close()
    expected = [e for e in errors if "404" in e and "/api/collections/" in e]
    assert len(expected) == 1 and errors == expected, errors  # the edit of the deleted item


def test_phone_width_save_dialog_and_edit_in_place(
    site, browser, sign_in_link, tmp_path, tmp_path_factory
):
    """390 px: the dialog fits the screen, its buttons and the list's are at least 44 px, the
    hints show, edit in place works, and axe finds no serious violation."""
    context, page, errors = new_page(browser, width=390, height=844)
    page.goto(sign_in_link(site, "dancer-mine-phone"))
    page.wait_for_selector("#generate:not([disabled])")
    assert page.is_visible("#energy_level-hint")
    page.get_by_role("button", name="Shuffle").click()
    assert page.input_value("#seed").isdigit()
    assert page.locator("#shuffle").bounding_box()["height"] >= 44
    generate(page, 9)
    page.click("#save-result")
    box = page.locator("#save-dialog").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    for name in ("#save-confirm", "#save-cancel"):
        assert page.locator(name).bounding_box()["height"] >= 44
    page.fill("#save-notes", "two\nlines")
    keep_shot(page, tmp_path, "save-dialog-phone", full_page=False)
    page.click("#save-confirm")
    folded = page.locator("#my-choreographies button.fold-toggle")
    assert folded.get_attribute("aria-expanded") == "false"  # the player comes first on a phone
    folded.click()
    item = page.locator("#collection li.saved").first
    item.wait_for()
    for button in item.locator(".actions button").all():
        size = button.bounding_box()
        assert size["height"] >= 44 and size["width"] >= 44
    item.locator("button.edit").click()
    page.fill("#collection li.saved input[name=title]", "Phone title")
    page.get_by_role("button", name="Save changes").click()
    page.locator("#collection li.saved", has_text="Phone title").wait_for()
    keep_shot(page, tmp_path, "my-choreographies-phone", section="#my-choreographies")
    assert serious_violations(page, axe_source(tmp_path_factory.getbasetemp())) == []

    # Saved automatically (the auto-save preference): nothing left to save, and it says so.
    run_in_server_env(site.data_dir, AUTO_SAVE, "dancer-mine-phone")
    page.locator("#params-section button.fold-toggle").click()  # folded since the first video
    generate(page, 10)
    page.wait_for_selector("#save-result[disabled]")
    assert page.inner_text("#save-status").startswith('Saved as "Short Song')
    assert page.locator("#collection li.saved").count() == 2
    context.close()
    assert errors == [], errors


REPEAT_ATTEMPT = """
import sys
import django
django.setup()
from django.contrib.auth import get_user_model
from choreography.models import ChoreographyTask, Song

song = Song.objects.order_by("id").first()  # its id is not always 1 (PostgreSQL sequences)
ChoreographyTask.objects.create(
    user=get_user_model().objects.get(username=sys.argv[1]),
    song=song, status="failed", stage="concatenating", error="the clips could not be joined",
    parameters={"song_id": song.id, "difficulty": "beginner", "energy_level": "low",
                "seed": 44, "allow_repeats": True},
)
"""


def test_repeat_moves_is_sent_when_ticked_and_try_again_keeps_it(
    site, browser, sign_in_link, tmp_path
):
    """Repeat moves (off by default) asks the server for allow_repeats; Try again on an attempt
    made with it ticks it again and sends it again."""
    context, page, errors = new_page(browser, width=1280)
    page.goto(sign_in_link(site, "dancer-repeats"))
    page.wait_for_selector("#generate:not([disabled])")
    assert not page.is_checked("#allow_repeats")
    assert "twice in a row" in page.inner_text("#allow-repeats-hint")
    label = page.locator("label.check", has_text="Repeat moves").bounding_box()
    box = page.locator("#allow_repeats").bounding_box()
    assert label["height"] >= 44 and box["height"] < 30  # a box beside its words, touch-sized
    keep_shot(page, tmp_path, "choose-the-dance", section="#params-section")
    page.check("#song-1")
    with page.expect_request("**/api/choreography/generate/") as plain:
        page.click("#generate")
    assert "allow_repeats" not in plain.value.post_data_json
    page.wait_for_selector("#result:not([hidden])", timeout=60_000)

    page.get_by_label("Repeat moves").check()
    page.fill("#seed", "8")
    with page.expect_request("**/api/choreography/generate/") as ticked:
        page.click("#generate")
    assert ticked.value.post_data_json["allow_repeats"] is True
    shown(page, 8)

    run_in_server_env(site.data_dir, REPEAT_ATTEMPT, "dancer-repeats")
    page.reload()
    page.wait_for_selector("#generate:not([disabled])")
    assert not page.is_checked("#allow_repeats")  # a new page starts with the default
    page.select_option("#collection-show", "attempts")
    failed = page.locator("#history li.attempt.failed")
    failed.wait_for()
    with page.expect_request("**/api/choreography/generate/") as again:
        failed.get_by_role("button", name="Try again").click()
    assert again.value.post_data_json["allow_repeats"] is True
    assert page.is_checked("#allow_repeats")
    shown(page, 44)
    context.close()
    assert errors == [], errors


SLOW_VIDEO_LIST = """
(() => {
  // A slow network for the list of unsaved videos: its answer arrives after the dancer has
  // already switched the filter to every attempt.
  const original = window.fetch;
  window.fetch = async (input, init) => {
    const url = typeof input === "string" ? input : input.url;
    const response = await original(input, init);
    if (url.includes("/api/choreography/videos/?")) await new Promise((r) => setTimeout(r, 1500));
    return response;
  };
})();
"""


def test_a_late_answer_for_an_older_filter_never_replaces_the_newer_list(
    site, browser, sign_in_link
):
    """The page's first list (unsaved videos) answers late; the dancer has switched to every
    attempt meanwhile: the attempts stay listed, under their own heading."""
    context, page, errors = new_page(browser, width=1280)
    page.goto(sign_in_link(site, "dancer-slow-list"))
    page.wait_for_selector("#generate:not([disabled])")
    run_in_server_env(site.data_dir, REPEAT_ATTEMPT, "dancer-slow-list")
    page.add_init_script(SLOW_VIDEO_LIST)
    page.reload()
    page.wait_for_selector("#collection-show")
    page.select_option("#collection-show", "attempts")
    page.locator("#history li.attempt.failed").wait_for()
    page.wait_for_timeout(2500)  # the late answer has arrived by now
    assert page.locator("#history li.attempt.failed").count() == 1
    assert page.inner_text("#history-title") == "Every other attempt"
    context.close()
    assert errors == [], errors
