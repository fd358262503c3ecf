"""Every management command works on a fresh, empty data directory: it migrates first (as
``serve`` does) or says what went wrong in one line; never a traceback."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FMT
from tests.helpers import make_canonical_clip, make_song
from tests.live import ROOT, server_env

COMMANDS_DIR = ROOT / "choreography" / "management" / "commands"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fresh-inputs")
    return {
        "clip": make_canonical_clip(folder / "basic-romantic.mp4", 30, FMT),
        "song": make_song(folder / "song.m4a", 3.0),
    }


# command -> (arguments, extra environment, expected exit status, text expected in the output).
CASES: dict[str, tuple[list[str], dict[str, str], int, str]] = {
    # No FFmpeg on purpose: the command gets past the database and fails on its first encode,
    # in one line (building the whole demo library belongs to tests of the demo itself).
    "create_demo_library": (
        [],
        {"CHOREO_FFMPEG": "/nonexistent/ffmpeg"},
        1,
        "/nonexistent/ffmpeg is required",
    ),
    "demo_contact_sheet": (["{clip}.png", "--size", "64x36"], {}, 0, "contact sheet of every"),
    "import_moves": (["{clip}", "--tempo", "120"], {}, 0, "imported"),
    "import_song": (["{song}", "--title", "Fresh", "--bpm", "120"], {}, 0, "LUFS -> -14 LUFS"),
    "issue_token": (["dancer"], {}, 0, "token for 'dancer'"),
    "revoke_token": (["--user", "dancer"], {}, 1, "no active token matched"),
    "prune_videos": (["--dry-run"], {}, 0, "would delete 0"),
    "signin_link": (["dancer"], {}, 0, "/signin/"),
    "warm_variants": ([], {}, 0, "rendered 0 tempo variants"),
    "renormalize": (["--video-size", "160x90"], {}, 0, "0 rebuilt"),
    # serve on a fresh data dir: tests/accounts/test_signin_address.py starts it there.
}
NO_DATABASE = {"demo_contact_sheet"}
"""Commands that never open the database (they draw from code alone)."""


def test_every_command_has_a_case():
    """A new command must be added to CASES (or be serve, tested by starting it)."""
    commands = {p.stem for p in COMMANDS_DIR.glob("*.py") if not p.stem.startswith("_")}
    assert commands == {*CASES, "serve"}


@pytest.mark.parametrize("command", sorted(CASES))
def test_a_command_on_a_fresh_data_dir(command, tmp_path, inputs):
    args, env, status, expected = CASES[command]
    data_dir = tmp_path / "data"  # does not exist yet
    done = subprocess.run(
        [sys.executable, "manage.py", command, *(a.format(**inputs) for a in args)],
        cwd=ROOT,
        env=server_env(data_dir, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == status, output
    assert expected in output, output
    assert "Traceback" not in output and "no such table" not in output, output
    if command in NO_DATABASE:
        return
    with sqlite3.connect(data_dir / "choreo.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"choreography_song", "auth_user", "django_migrations"} <= tables


def test_an_unreachable_database_is_one_line(tmp_path):
    """A database that cannot be opened is named (not its password), exit status 1."""
    done = subprocess.run(
        [sys.executable, "manage.py", "issue_token", "dancer"],
        cwd=ROOT,
        env=server_env(
            tmp_path / "data", DATABASE_URL="postgresql://u:hunter2@127.0.0.1:9/nowhere"
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "the database is not usable (postgresql database 'nowhere' at 127.0.0.1:9" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr and "hunter2" not in done.stderr
