"""What a stranger can read, forge or break: each finding of the security review, kept fixed.

Against a real ``serve`` over raw sockets (so no client library normalizes the attack away):
every traversal form against every route that reaches the filesystem, forged links, a storm
of disconnects, a SIGKILLed server, and two servers sharing one database.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.test import AsyncClient
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from choreography.api.responses import error_body
from choreography.api.signing import SALT
from tests.helpers import child_ffmpeg_pids, pid_alive
from tests.live import (
    USERS,
    RawRequest,
    copy_data_dir,
    start_server,
    wait_for,
)

SHORT_SONG, LONG_SONG = 1, 3
LEAKS = (b"root:x:0:0", b"SQLite format 3", b"DJANGO_SETTINGS_MODULE", b"CHOREO_DATA_DIR")


@pytest.fixture(scope="module")
def live(long_template, tmp_path_factory):
    data_dir = copy_data_dir(long_template, tmp_path_factory.mktemp("security") / "data")
    server = start_server(data_dir)
    yield server
    server.stop()


def raw_get(server, target: str, headers: str = "") -> tuple[int, bytes]:
    """GET ``target`` byte for byte as written (no client-side normalization)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n"
        sock.sendall(request.encode("latin-1"))
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    status = int(received.split(b" ", 2)[1]) if received.startswith(b"HTTP/") else 0
    return status, received


def sign_as_server(server, key: str, expires: int) -> str:
    """A media signature made with the server's own key: what a leaked key would allow."""
    secret = (server.data_dir / "secret_key").read_text().strip()
    return signing.Signer(key=secret, salt=SALT).signature(f"{key}\n{expires}")


def traversal_forms(data_dir: Path, name: str) -> list[str]:
    """Ways to say "the file ``name`` of the data dir" (or a system file) below a served root
    one level under the data dir (static/ and media/)."""
    absolute = str(data_dir / name)
    return [
        absolute,  # /static//abs: Path(root) / "/abs" is /abs
        "/" + absolute,
        quote(absolute, safe=""),  # %2Fabs
        quote(quote(absolute, safe=""), safe=""),  # %252Fabs
        f"../{name}",
        f"../../../../../../..{absolute}",
        f"%2e%2e/{name}",
        f"%2E%2E%2F{name}",
        f"..%2f{name}",
        f"%252e%252e%252f{name}",
        f"..\\{name}",
        f"..%5c{name}",
        f"%5c..%5c{name}",
        f"choreography/app.js%00/../../{name}",
        f"%00../{name}",
        "../../../../../../../../etc/passwd",
        "..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "%2fproc%2fself%2fenviron",
        "/proc/self/environ",
    ]


def assert_refused(server, target: str, secret: bytes) -> None:
    status, body = raw_get(server, target)
    assert status in (400, 403, 404, 405), (target, status)
    assert secret not in body, target
    for leak in LEAKS:
        assert leak not in body, (target, leak)


def test_no_traversal_form_reads_a_file_outside_the_served_roots(live):
    """Every form, against /static/ and /media/ (unsigned, and signed with the real key as if
    it had leaked): 4xx and never a byte of the secret key, the database or the environment."""
    secret = (live.data_dir / "secret_key").read_bytes().strip()
    expires = int(time.time()) + 600
    for name in ("secret_key", "choreo.sqlite3"):
        for form in traversal_forms(live.data_dir, name):
            assert_refused(live, f"/static/{form}", secret)
            assert_refused(live, f"/media/{form}", secret)
            query = f"?expires={expires}&signature={sign_as_server(live, form, expires)}"
            assert_refused(live, f"/media/{form}{query}", secret)


def test_symlinks_in_served_roots_are_not_followed(live):
    """A symlink planted in the static root or the media root (with a valid signature) does
    not serve its target."""
    secret = (live.data_dir / "secret_key").read_bytes().strip()
    planted = live.data_dir / "static" / "choreography" / "leak.txt"
    planted.symlink_to(live.data_dir / "secret_key")
    videos = live.data_dir / "media" / "videos"
    videos.mkdir(parents=True, exist_ok=True)
    (videos / "leak.mp4").symlink_to(live.data_dir / "secret_key")
    try:
        assert_refused(live, "/static/choreography/leak.txt", secret)
        expires = int(time.time()) + 600
        signature = sign_as_server(live, "videos/leak.mp4", expires)
        assert_refused(
            live, f"/media/videos/leak.mp4?expires={expires}&signature={signature}", secret
        )
    finally:
        planted.unlink()
        (videos / "leak.mp4").unlink()


def test_static_files_are_streamed_with_etag_304_and_gzip(live):
    """The collected files are served, revalidated with ETag (304) and gzip-compressed."""
    response = httpx.get(f"{live.base}/static/choreography/app.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    etag = response.headers["etag"]
    again = httpx.get(f"{live.base}/static/choreography/app.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    gz = httpx.get(f"{live.base}/static/choreography/app.js", headers={"Accept-Encoding": "gzip"})
    assert gz.headers.get("content-encoding") == "gzip"
    assert gz.text == response.text


def test_forged_media_and_sign_in_links_are_refused(live):
    """Without the server's key nobody can make a link: a changed key, expiry or signature is
    403, and a sign-in link forged for another user does not sign in."""
    made = httpx.post(
        f"{live.base}/api/choreography/generate/",
        json={"song_id": SHORT_SONG, "seed": 1},
        headers=live.auth("alice"),
        timeout=120,
    )
    assert made.status_code == 200
    url = httpx.URL(made.json()["video_url"])
    assert url.host == "127.0.0.1" and url.port == live.port
    assert httpx.get(str(url)).status_code == 200  # the genuine link works
    key = url.path.removeprefix("/media/")
    expires, signature = url.params["expires"], url.params["signature"]
    forged = [
        f"/media/{key}?expires={expires}&signature={signature[:-2]}xx",
        f"/media/{key}?expires={int(expires) + 3600}&signature={signature}",
        f"/media/videos/other.mp4?expires={expires}&signature={signature}",
        f"/media/{key}",
    ]
    for target in forged:
        status, body = raw_get(live, target)
        assert status == 403, target
        assert json.loads(body.partition(b"\r\n\r\n")[2])["stage"] == "media"

    bob_uid = urlsafe_base64_encode(force_bytes(2))
    wrong_key = PasswordResetTokenGenerator()
    wrong_key.secret = "not-the-server-key"

    class Bob:
        pk, password, last_login, email = 2, "", None, ""

        def get_email_field_name(self):
            return "email"

    for token in (wrong_key.make_token(Bob()), "cxyz-0123456789abcdef", "1-1"):
        response = httpx.get(f"{live.base}/signin/{bob_uid}/{token}/", follow_redirects=False)
        assert response.status_code == 403
        assert "sessionid" not in response.cookies


def test_links_use_the_public_url_not_the_host_header(live):
    """A Host header the server accepts still does not choose the host of the links."""
    made = httpx.post(
        f"{live.base}/api/choreography/generate/",
        json={"song_id": SHORT_SONG, "seed": 2},
        headers={**live.auth("alice"), "Host": "localhost:9999"},
        timeout=120,
    )
    assert made.status_code == 200
    assert made.json()["video_url"].startswith(f"http://127.0.0.1:{live.port}/media/")


def test_errors_are_json_on_every_route_unless_a_browser_asks_for_html(live):
    """404, 405, CSRF 403 and a bad Host are the error JSON for API clients, HTML for a page."""
    cases = [
        ("GET", "/nowhere/", {}, 404),
        ("GET", "/static/choreography/missing.js", {}, 404),
        ("POST", "/health/", {}, 405),
        ("POST", "/media/videos/x.mp4", {}, 403),
        ("GET", "/", {"Host": "evil.example"}, 400),
        ("GET", "/api/nowhere/", {"Accept": "text/html"}, 404),
    ]
    for method, path, headers, status in cases:
        response = httpx.request(method, f"{live.base}{path}", headers=headers)
        assert response.status_code == status, (method, path)
        assert set(response.json()) == {"error", "details", "stage"}, (method, path)
    page = httpx.get(f"{live.base}/nowhere/", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


@pytest.mark.django_db(transaction=True)
async def test_bodies_are_strict_json_with_integers(library):
    """``1.0`` is not an integer; a JSON body needs Content-Type: application/json (415)."""
    from choreography.accounts.tokens import issue_token

    auth = {"headers": {"Authorization": f"Bearer {await issue_token('mallory')}"}}
    client, url = AsyncClient(), "/api/choreography/generate/"
    song_id = library[0].id
    as_float = await client.post(url, {"song_id": float(song_id)}, "application/json", **auth)
    assert as_float.status_code == 400
    assert as_float.json()["details"][0]["field"] == "song_id"
    body = json.dumps({"song_id": song_id})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", ""):
        response = await client.post(url, body, content_type, **auth)
        assert response.status_code == 415, content_type
        assert response.json()["error"] == "request body must be JSON"


def test_error_bodies_never_show_server_paths():
    """FFmpeg's stderr names files in the work dir: the client sees only their names."""
    from assembly.errors import FFmpegError

    exc = FFmpegError(
        argv=["ffmpeg", "-i", "/srv/choreo/var/work/host-1-ab/assembly-x/joined.h264"],
        returncode=1,
        stderr_tail="/srv/choreo/var/work/host-1-ab/assembly-x/joined.h264: Invalid data",
        stage="adding_audio",
    )
    body = json.dumps(error_body(exc))
    assert "/srv/" not in body and "/work/" not in body
    assert "joined.h264: Invalid data" in body


def test_redaction_follows_a_changed_data_dir(settings, tmp_path):
    """The server's directories are read from the settings in force, never kept from an earlier
    call: a changed DATA_DIR is redacted at once."""
    from choreography.api.responses import redact_paths

    assert redact_paths("/tmp/x") == "x"  # an earlier call, under the old settings
    settings.DATA_DIR = Path("/opt2/elsewhere")
    assert redact_paths("cannot open /opt2/elsewhere/work/a/clip.mp4") == "cannot open clip.mp4"


def test_a_storm_of_disconnects_leaves_no_running_row_and_no_work_dir(live):
    """200 requests dropped at random moments (3-40 ms after sending, plain and SSE): afterwards
    no row is still running and no work directory is left."""
    rng = random.Random(20261201)
    before = {row["id"] for row in live.task_rows()}
    for i in range(200):
        request = RawRequest(
            live, {"song_id": SHORT_SONG, "seed": i}, user=USERS[i % 4], sse=bool(i % 2)
        )
        time.sleep(rng.uniform(0.003, 0.040))
        request.close()

    def settled():
        rows = [row for row in live.task_rows() if row["id"] not in before]
        return rows and all(row["status"] != "running" for row in rows) and not live.work_dirs()

    wait_for(settled, timeout=120, interval=0.2, what="every dropped request to settle")
    wait_for(lambda: not child_ffmpeg_pids(live.pid), timeout=10, what="no FFmpeg")


def test_ffmpeg_dies_with_a_sigkilled_server(long_template, tmp_path):
    """SIGKILL the server mid-assembly: the kernel kills its FFmpeg (parent-death signal)."""
    server = start_server(copy_data_dir(long_template, tmp_path / "data"))
    stream = RawRequest(server, {"song_id": LONG_SONG}, sse=True)
    pids: list[int] = []
    try:
        stream.read_until(b"event: progress")
        pids, _ = wait_for(lambda: child_ffmpeg_pids(server.pid), timeout=60, what="FFmpeg")
        server.stop(signal.SIGKILL)
        wait_for(lambda: not any(pid_alive(pid) for pid in pids), timeout=2, what="FFmpeg to die")
    finally:
        stream.close()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_a_second_server_never_fails_the_live_work_of_the_first(shared_data_dir, slow_ffmpeg):
    """Two servers on one database and data dir: starting the second leaves the first's
    running generation and work dir alone, also after several lease periods."""
    data_dir, env = shared_data_dir
    first = start_server(data_dir, CHOREO_LEASE_S="1", CHOREO_FFMPEG=slow_ffmpeg, **env)
    stream = RawRequest(first, {"song_id": LONG_SONG}, sse=True)
    second = None
    try:
        stream.read_until(b"event: progress")
        wait_for(lambda: child_ffmpeg_pids(first.pid), timeout=60, what="FFmpeg")
        dirs = first.work_dirs()
        assert dirs
        second = start_server(data_dir, CHOREO_LEASE_S="1", **env)
        time.sleep(3)  # three lease periods of the second server's sweeps
        [row] = second.task_rows()
        assert row["status"] == "running", row
        assert set(dirs) <= set(first.work_dirs())
        assert child_ffmpeg_pids(first.pid)
    finally:
        stream.close()
        if second is not None:
            second.stop()
        first.stop()
    [row] = first.task_rows()
    assert row["error"] in ("client disconnected", "server shutting down")


def test_a_killed_servers_work_is_failed_once_its_lease_expires(shared_data_dir):
    """SIGKILL mid-generation leaves the row running; the next server marks it failed as
    interrupted once the lease expires, and removes the dead process's work dir."""
    data_dir, env = shared_data_dir
    first = start_server(data_dir, CHOREO_LEASE_S="1", **env)
    try:
        stream = RawRequest(first, {"song_id": LONG_SONG}, sse=True)
        stream.read_until(b"event: progress")
        wait_for(lambda: child_ffmpeg_pids(first.pid), timeout=60, what="FFmpeg")
    finally:
        first.stop(signal.SIGKILL)
    stream.close()
    [row] = first.task_rows()
    assert row["status"] == "running"
    assert first.work_dirs() != []

    second = start_server(data_dir, CHOREO_LEASE_S="1", **env)
    try:
        (row,), _ = wait_for(
            lambda: [r for r in second.task_rows() if r["status"] == "failed"] or None,
            timeout=10,
            what="the row to fail",
        )
        assert row["error"].startswith("interrupted")
        wait_for(lambda: second.work_dirs() == [], timeout=10, what="the dead work dir to go")
    finally:
        second.stop()


@pytest.mark.django_db(transaction=True)
async def test_a_nul_in_any_json_string_is_a_400_naming_where():
    """NUL in a JSON string (PostgreSQL cannot hold it) is refused for every body, with the
    field's path: never a 500 from the database."""
    client = AsyncClient()
    cases = [
        ("/api/auth/login/", {"username": "a\x00b", "password": "x"}, "username"),
        (
            "/api/auth/register/",
            {"username": "ok", "email": "a@b.c", "password": "p\x00"},
            "password",
        ),
        ("/api/auth/login/", {"username": "u", "password": "p", "x\x00": 1}, "x\x00"),
    ]
    for url, body, field in cases:
        response = await client.post(url, body, "application/json")
        assert response.status_code == 400, response.content
        assert response.json()["details"][0]["field"] == field
