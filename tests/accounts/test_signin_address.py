"""``signin_link`` prints the address the server really runs on, not a fixed 127.0.0.1:8000."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO

import httpx
import pytest
from django.core.management import call_command

from tests.live import ROOT, server_env, start_server

pytestmark = pytest.mark.django_db


def signin_link(*args: str, **env: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("signin_link", "dancer", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_a_server_on_another_port_is_the_one_linked(tmp_path):
    """serve on a fresh data dir and a non-default port records its address; signin_link, run
    as its own process, links there, and the link signs in. Once the server stops, its record
    no longer counts and signin_link says it assumes the default."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = start_server(data_dir)
    assert server.port != 8000

    def run_signin_link() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", "signin_link", "dancer"],
            cwd=ROOT, env=server_env(data_dir), capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    try:
        done = run_signin_link()
        assert done.returncode == 0, done.stderr
        link = done.stdout.strip()
        assert link.startswith(f"http://127.0.0.1:{server.port}/signin/"), link
        answer = httpx.get(link, timeout=10)
        assert answer.status_code == 302 and answer.headers["location"] == "/"
        assert "sessionid" in answer.cookies
    finally:
        server.stop()
    done = run_signin_link()
    assert done.stdout.startswith("http://127.0.0.1:8000/signin/")
    assert "no server is running" in done.stderr


def test_host_and_port_options_win(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    link, _ = signin_link("--host", "0.0.0.0", "--port", "9123")
    assert link.startswith("http://127.0.0.1:9123/signin/")
    link, _ = signin_link("--host", "::1", "--port", "9124")
    assert link.startswith("http://[::1]:9124/signin/")
    link, _ = signin_link("--base-url", "https://choreo.example/")
    assert link.startswith("https://choreo.example/signin/")


def test_the_public_url_wins_over_the_recorded_address(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    (tmp_path / "server.json").write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": 1}))
    settings.CHOREO = settings.CHOREO.model_copy(update={"public_url": "https://dance.example"})
    link, _ = signin_link()
    assert link.startswith("https://dance.example/signin/")


def test_a_stale_record_is_ignored(settings, tmp_path):
    """A record left by a server that was killed names a process that is gone."""
    settings.DATA_DIR = tmp_path
    settings.CHOREO = settings.CHOREO.model_copy(update={"public_url": ""})
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "server.json").write_text(
        json.dumps({"url": "http://127.0.0.1:9", "pid": dead.pid})
    )
    link, err = signin_link()
    assert link.startswith("http://127.0.0.1:8000/signin/")
    assert "no server is running" in err
