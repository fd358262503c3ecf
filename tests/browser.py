"""What the browser tests share: Debian's Chromium under Playwright, pages that collect their
console errors, one-time sign-in links, and one live server for the modules whose data cannot
interfere."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import ROOT, LiveServer, copy_data_dir, server_env, start_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "screenshots"
SHARED_SHOTS = Path("/tmp/choreo-screenshots")
"""Where screenshots named in a closing note are collected, whichever test dir made them."""
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
"""On top of Playwright's own (headless, --mute-audio, --disable-extensions,
--disable-dev-shm-usage, no background timers throttled, ...): media plays without a gesture."""


def shot(page, name: str) -> None:
    """Save a full-page screenshot as ``screenshots/{name}.png`` for people to look at."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def keep_shot(
    page, tmp_path: Path, name: str, *, full_page: bool = True, section: str = ""
) -> Path:
    """Save a screenshot as ``{name}.png`` in the test's tmp dir and copy it to SHARED_SHOTS:
    the whole page, the viewport (``full_page=False``) or only the element ``section``."""
    path = tmp_path / f"{name}.png"
    if section:
        page.locator(section).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=full_page)
    SHARED_SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHARED_SHOTS / path.name)
    return path


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module (Playwright, never a downloaded browser); tests open their
    own context (``new_page``). Not per session: Playwright's sync API keeps its asyncio loop
    marked running between calls, so a later ``asyncio.run`` (session fixtures, pytest-asyncio
    tests on the same xdist worker) would fail."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def new_page(browser, width: int = 1100, height: int = 900):
    """(context, page, errors): ``errors`` collects console errors and uncaught exceptions."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(f"{m.text} at {m.location}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


PLAYER = "document.getElementById('player')"
"""The practice player's video element, as page scripts name it."""


def open_player(server, browser, state: str, task_id: int, viewport: dict, *, muted=False):
    """(context, page): the signed-in page (``state``) watching the choreography ``task_id``,
    its video loaded; ``page.console_errors`` collects console errors and uncaught exceptions."""
    context = browser.new_context(viewport=viewport, storage_state=state)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server.base}/")
    page.wait_for_selector("#history li button", state="attached")
    page.evaluate("(id) => watch(id)", task_id)
    page.wait_for_function(
        f"() => {PLAYER}.readyState >= 2 && {PLAYER}.duration > 0", timeout=30_000
    )
    if muted:
        page.evaluate(f"() => {{ {PLAYER}.muted = true; }}")
    page.console_errors = errors
    return context, page


def seek(page, t: float) -> None:
    """Seek the player to ``t`` seconds and wait until the frame there is shown."""
    page.evaluate(f"(t) => {{ {PLAYER}.currentTime = t; }}", t)
    page.wait_for_function(
        f"(t) => !{PLAYER}.seeking && Math.abs({PLAYER}.currentTime - t) < 0.05"
        f" && {PLAYER}.readyState >= 2",
        arg=t,
        timeout=10_000,
    )


LINKS_SCRIPT = """
import io, sys
import django
django.setup()
from django.core.management import call_command
for username in map(str.strip, sys.stdin):
    out = io.StringIO()
    call_command("signin_link", username, base_url=sys.argv[1], stdout=out)
    print(out.getvalue().strip().splitlines()[-1], flush=True)
"""


class SignInLinks:
    """``manage.py signin_link USERNAME`` for a live server, each link from the command itself,
    run in one Python process per server: one Django start-up per server, not one per link."""

    def __init__(self) -> None:
        self._processes: dict[str, subprocess.Popen] = {}

    def __call__(self, server: LiveServer, username: str) -> str:
        process = self._processes.get(server.base)
        if process is None or process.poll() is not None:
            process = self._processes[server.base] = subprocess.Popen(
                [sys.executable, "-c", LINKS_SCRIPT, server.base],
                cwd=ROOT,
                env=server_env(server.data_dir),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(username + "\n")
        process.stdin.flush()
        if not (link := process.stdout.readline().strip()):
            raise AssertionError(f"signin_link exited with {process.wait(timeout=30)}")
        return link

    def close(self) -> None:
        """End of input: each process finishes its loop and exits (its pipes closed, reaped)."""
        for process in self._processes.values():
            with process:
                pass


@pytest.fixture(scope="session")
def sign_in_link():
    """``sign_in_link(server, username)``: a one-time sign-in link (the user is made if new)."""
    links = SignInLinks()
    yield links
    links.close()


@pytest.fixture(scope="session")
def live_site(live_template, tmp_path_factory) -> LiveServer:
    """One server on a copy of ``live_template`` for the modules whose data cannot interfere
    (one module after another on a worker): each has its own users (player: alice; honest page:
    bob and honest-*; class plans: carol; accounts: rosa; accounts_live: forgetful and dave;
    the others a dancer of their own). CORS allows https://app.example for test_accounts_live;
    the pages are on the server's own origin, which CORS does not touch."""
    data_dir = copy_data_dir(live_template, tmp_path_factory.mktemp("live-site") / "data")
    server = start_server(data_dir, CORS_ALLOWED_ORIGINS="https://app.example")
    yield server
    server.stop()
