"""The studio in Chromium: an instructor uploads a clip filmed on a phone, sees its poster strip
and beat grid, nudges the start by a beat, saves and sees it ready; a student joins by the
invite link and generates from the studio's library.

Screenshots go to the test's tmp dir and to /tmp/choreo-screenshots/ as ``studio-*.png``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import phone_media
from tests.browser import CHROMIUM, new_page
from tests.browser import keep_shot as shot
from tests.live import run_in_server_env

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Debian chromium")

phone_clips = phone_media.phone_clips

SEED = """
import django
django.setup()
from django.contrib.auth import get_user_model
from choreography.studios import services
from choreography.studios.models import InstructorRequest

teacher, _ = get_user_model().objects.get_or_create(username="teach-c")
staff, _ = get_user_model().objects.get_or_create(username="staff-c", defaults={"is_staff": True})
asked = InstructorRequest.objects.create(user=teacher, studio_name="Salsa Street Studio")
services.decide(asked.pk, approve=True, staff=staff)
"""


def test_instructor_uploads_and_a_student_dances_the_move(
    live_site, browser, sign_in_link, phone_clips, tmp_path
):
    """Instructor: upload -> posters and grid -> + beat -> name -> Save -> ready; invite link.
    Student: join by the link -> the generate form offers the studio -> a video of its move."""
    run_in_server_env(live_site.data_dir, SEED)
    context, page, errors = new_page(browser)
    page.goto(sign_in_link(live_site, "teach-c"))
    page.wait_for_selector("input[name=song]")
    studio = page.request.get(f"{live_site.base}/api/studios/mine/").json()[0]
    page.goto(studio["url"])
    page.set_input_files("#move-files", str(phone_clips["mov"].path))
    editor = page.locator(".move-editor")
    editor.wait_for(timeout=60_000)
    assert editor.locator(".posters img").count() == 8
    assert editor.locator(".beat-grid .tick.one").count() >= 2
    before = editor.locator(".cut-text").inner_text()
    shot(page, tmp_path, "studio-1-analysed")
    editor.get_by_role("button", name="+ beat").click()  # 2 8-counts from there do not fit
    assert editor.locator(".cut-text").inner_text() == before
    editor.get_by_role("button", name="\N{MINUS SIGN} 8-count").click()
    editor.get_by_role("button", name="+ beat").click()
    after = editor.locator(".cut-text").inner_text()
    assert after != before and "1 8-count" in after, after
    editor.locator("input[name=label]").fill("Hammerlock turn")
    editor.locator("select[name=difficulty]").select_option("beginner")
    editor.get_by_role("button", name="Save").click()
    page.wait_for_selector(".editor-status[data-status=ready]", timeout=90_000)
    assert "Hammerlock turn is ready" in editor.locator(".editor-status").inner_text()
    shot(page, tmp_path, "studio-2-ready")
    page.get_by_role("button", name="Make an invite link").click()
    invite = page.input_value("#invite-link")
    page.goto(studio["url"])  # not a reload: that would post the renewal again
    page.wait_for_selector("#studio-moves li[data-status=ready]")
    shot(page, tmp_path, "studio-3-library")
    context.close()

    context, page, student_errors = new_page(browser)
    page.goto(sign_in_link(live_site, "dancer-c"))
    page.wait_for_selector("input[name=song]")
    page.goto(live_site.base + urlsplit(invite).path)  # the same origin as the sign-in
    page.wait_for_selector("h2:has-text('Salsa Street Studio')")
    assert "You are a student here" in page.inner_text("main")
    page.wait_for_selector("text=Hammerlock turn")
    shot(page, tmp_path, "studio-4-student-joined")
    page.goto(live_site.base + "/")
    page.wait_for_selector("#library")
    page.select_option("#library", f"studio:{studio['id']}")
    page.locator("input[name=song]").first.check()
    page.click("#generate")
    page.wait_for_selector("#result:not([hidden])", timeout=120_000)
    assert "Hammerlock turn" in page.inner_text("#result")
    shot(page, tmp_path, "studio-5-student-generated")
    context.close()
    assert errors == [] and student_errors == [], errors + student_errors
