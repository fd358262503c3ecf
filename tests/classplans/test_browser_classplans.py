"""Class plans in a real browser: an instructor builds a plan, reorders it and prints it.

Screenshots are saved under ``screenshots/`` (git-ignored) as ``plans-*.png``, and by the
sequence-editing test to its tmp dir and /tmp/choreo-screenshots/ as ``class-plan*.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.axe_asset import axe_source, serious_violations
from tests.browser import CHROMIUM, keep_shot, new_page, shot
from tests.live import run_in_server_env

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
)

SEED_INSTRUCTOR = """
import django
django.setup()
from django.contrib.auth import get_user_model
from choreography.accounts.models import Profile
from choreography.collections.models import SavedChoreography
from choreography.models import ChoreographyTask, Song

user = get_user_model().objects.get(username="carol")
Profile.objects.update_or_create(user=user, defaults={"is_instructor": True})
song = Song.objects.order_by("id").first()
phrase = 8 * 60 / song.bpm
for title, names in (("Warm-up", ["basic", "side"]), ("Turns", ["turn", "dip", "wave"])):
    timeline = [
        {"name": n, "label": n.title(), "start_time": song.first_beat_seconds + i * phrase,
         "duration": phrase, "difficulty": "beginner", "energy_level": "low", "style": "romantic"}
        for i, n in enumerate(names)
    ]
    task = ChoreographyTask.objects.create(
        user=user, song=song, status="completed", stage="completed", progress=100,
        result={"timeline": timeline, "duration_seconds": len(names) * phrase,
                "video_key": "videos/none.mp4"},
    )
    SavedChoreography.objects.create(user=user, task=task, title=title)
"""


@pytest.fixture(scope="module")
def site(live_site):
    """The shared server: this module's user is carol, made an instructor with two saved
    choreographies."""
    run_in_server_env(live_site.data_dir, SEED_INSTRUCTOR)
    return live_site


def test_instructor_builds_reorders_and_prints_a_plan(site, browser, sign_in_link):
    """An instructor follows the link from /, creates a plan, adds two sequences, moves the
    second up, and opens the print page with the 8-counts, without console errors."""
    context, page, errors = new_page(browser)
    page.goto(sign_in_link(site, "carol"))
    page.wait_for_selector("input[name=song]")
    page.get_by_role("link", name="Class plans").click()
    page.fill("#plan-title", "Friday beginners")
    page.fill("#plan-target", "45")
    page.get_by_role("button", name="Create").click()
    item = page.locator(".plan", has_text="Friday beginners")
    item.wait_for()
    form = item.locator("form.add-sequence")
    form.locator("select").select_option(label="Warm-up")
    form.get_by_role("button", name="Add sequence").click()
    item.locator(".sequence").first.wait_for()
    form.locator("select").select_option(label="Turns")
    form.locator("input[name=repetitions]").fill("2")
    form.get_by_role("button", name="Add sequence").click()
    item.locator(".sequence").nth(1).wait_for()
    item.get_by_role("button", name="Move Turns up").click()
    page.wait_for_selector("text=Order saved.")
    titles = item.locator(".sequence-title").all_inner_texts()
    assert titles == ["Turns \N{MULTIPLICATION SIGN} 2", "Warm-up \N{MULTIPLICATION SIGN} 1"]
    shot(page, "plans-1-list")
    page.reload()
    item = page.locator(".plan", has_text="Friday beginners")
    item.locator(".sequence").nth(1).wait_for()
    assert item.locator(".sequence-title").all_inner_texts() == titles

    item.get_by_role("link", name="Print").click()
    page.wait_for_selector("h1:has-text('Friday beginners')")
    headings = page.locator("section.sequence h2").all_inner_texts()
    assert headings == ["1. Turns", "2. Warm-up"]
    counts = page.locator("section.sequence").first.locator("td.count").all_inner_texts()
    assert counts == ["1", "2", "3"]
    assert "repetitions: 2" in page.inner_text("section.sequence >> nth=0")
    page.emulate_media(media="print")
    page.wait_for_selector("nav.screen-only", state="hidden")  # print.css, once restyled
    shot(page, "plans-2-print")
    context.close()
    assert errors == [], errors


CHOREOGRAPHY_NOTES = """
import django
django.setup()
from choreography.collections.models import SavedChoreography

SavedChoreography.objects.filter(user__username="carol", title="Warm-up").update(
    notes="Basic and side step, slow"
)
"""


@pytest.mark.parametrize("width", [1280, 390])
def test_a_sequence_s_notes_repetitions_and_removal_reach_the_print_sheet(
    site, browser, sign_in_link, tmp_path, tmp_path_factory, width
):
    """On the plan page each sequence has its own form: repetitions and multi-line notes are
    saved (a bad count is refused next to it), a sequence is removed; after a reload they are
    kept, and the print sheet shows the notes (the sequence's and the choreography's) and the
    repetitions. 1280 and 390 px wide, touch-sized buttons, axe-core clean."""
    run_in_server_env(site.data_dir, CHOREOGRAPHY_NOTES)
    context, page, errors = new_page(browser, width=width, height=900)
    page.goto(sign_in_link(site, "carol"))
    page.wait_for_selector("input[name=song]")
    page.goto(site.base + "/class-plans/")
    title = f"Tuesday improvers {width}"
    page.fill("#plan-title", title)
    page.get_by_role("button", name="Create").click()
    item = page.locator(".plan", has_text=title)
    form = item.locator("form.add-sequence")
    for choreography in ("Warm-up", "Turns"):
        form.locator("select").select_option(label=choreography)
        form.get_by_role("button", name="Add sequence").click()
        item.locator(".sequence", has_text=choreography).wait_for()

    warm_up = item.locator(".sequence", has_text="Warm-up")
    warm_up.get_by_label("Repetitions of Warm-up").fill("0")
    warm_up.get_by_role("button", name="Save Warm-up").click()
    refused = warm_up.locator(".sequence-status")
    assert refused.inner_text() == "Repetitions: a whole number from 1 to 100."
    assert refused.get_attribute("role") == "alert"
    warm_up.get_by_label("Repetitions of Warm-up").fill("3")
    warm_up.get_by_label("Notes for Warm-up").fill("Count out loud\nthen with the music only")
    warm_up.get_by_role("button", name="Save Warm-up").click()
    warm_up.locator(".sequence-status:text-is('Saved.')").wait_for()
    assert warm_up.locator(".sequence-title").inner_text() == "Warm-up \N{MULTIPLICATION SIGN} 3"

    item.locator(".sequence", has_text="Turns").get_by_role("button", name="Remove Turns").click()
    item.locator(".sequence-removed:text-is('Removed Turns.')").wait_for()
    assert item.locator(".sequence").count() == 1
    for button in item.locator(".sequence button").all():
        if button.is_enabled():
            size = button.bounding_box()
            assert size["height"] >= 44 and size["width"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    source = axe_source(tmp_path_factory.getbasetemp())
    assert serious_violations(page, source) == []
    keep_shot(page, tmp_path, "class-plan" if width == 1280 else "class-plan-phone")

    page.reload()
    item = page.locator(".plan", has_text=title)
    warm_up = item.locator(".sequence", has_text="Warm-up")
    warm_up.wait_for()
    assert item.locator(".sequence").count() == 1
    assert warm_up.get_by_label("Repetitions of Warm-up").input_value() == "3"
    notes = warm_up.get_by_label("Notes for Warm-up").input_value()
    assert notes == "Count out loud\nthen with the music only"

    item.get_by_role("link", name="Print").click()
    page.wait_for_selector(f"h1:has-text('{title}')")
    sheet = page.locator("section.sequence")
    assert sheet.count() == 1
    assert "repetitions: 3" in sheet.inner_text()
    assert sheet.locator(".sequence-notes").inner_text() == (
        "Notes: Count out loud\nthen with the music only"
    )
    assert "Basic and side step, slow" in sheet.locator(".choreography-notes").inner_text()
    assert serious_violations(page, source) == []
    if width == 1280:
        keep_shot(page, tmp_path, "class-plan-print")
    context.close()
    assert errors == [], errors
