"""Describe it, in Chromium: type a description, see the reading as chips, change one, generate."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import CHROMIUM, new_page

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)


@pytest.fixture
def page(live_site, browser, sign_in_link, request):
    context, page, errors = new_page(browser)
    page.goto(sign_in_link(live_site, f"describer-{request.node.name[5:25]}"))
    page.wait_for_selector("#describe:not([disabled])")
    page.console_errors = errors
    yield page
    context.close()
    assert errors == [], errors


def test_a_description_becomes_chips_fills_the_form_and_generates(page):
    """Typed words → chips (song, difficulty, energy, style, length); the form and the song
    follow; a chip changed changes the form; Generate makes the video."""
    page.fill("#describe-text", "the shorter song, romántico y fácil, medio minuto")
    page.click("#describe")
    page.wait_for_selector("#interpretation:not([hidden])")
    chips = page.locator("#chips li")
    assert chips.count() >= 5
    assert "Shorter Song" in chips.first.inner_text()
    assert page.input_value("#chip-difficulty") == "beginner"
    assert "30 s" in page.locator("#chips li", has_text="Length").inner_text()
    page.wait_for_function("document.getElementById('song-2').checked")
    assert page.input_value("#difficulty") == "beginner"
    assert page.input_value("#style") == "romantic"
    page.select_option("#chip-difficulty", "advanced")
    assert page.input_value("#difficulty") == "advanced"
    assert page.locator("#reading-steps li").count() >= 5
    page.click("#generate")
    page.wait_for_selector("#result:not([hidden])", timeout=60_000)


def test_an_example_prompt_can_be_read_and_generated_in_one_click(page):
    """An example fills the box; "Read it and generate" reads it and starts the video."""
    page.locator(".describe-example").first.click()
    assert page.input_value("#describe-text")
    page.click("#describe-generate")
    page.wait_for_selector("#result:not([hidden])", timeout=60_000)
    assert page.locator("#chips li").count() >= 5


def test_nonsense_says_what_it_understands_with_examples(page):
    """A text with nothing known: the error, with examples, and no chips."""
    page.fill("#describe-text", "qwzx plonk")
    page.click("#describe")
    page.wait_for_selector("#describe-error:not([hidden])")
    assert "could not understand" in page.inner_text("#describe-error")
    assert "Try for example" in page.inner_text("#describe-error")
    assert page.locator("#interpretation").is_hidden()
    page.console_errors[:] = [e for e in page.console_errors if "400" not in e]
