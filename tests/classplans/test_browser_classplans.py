"""Class plans in a real browser: an instructor builds a plan, reorders it and prints it.

Screenshots are saved under ``screenshots/`` (git-ignored) as ``plans-*.png``.
"""

from __future__ import annotations

import pytest

from tests.browser import CHROMIUM, new_page, shot
from tests.live import run_in_server_env

pytestmark = pytest.mark.skipif(
    not __import__("pathlib").Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
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
    assert page.locator("nav.screen-only").is_hidden()
    shot(page, "plans-2-print")
    context.close()
    assert errors == [], errors
