"""Who may send how large a body (asgi_project.limits, choreography.accounts.callers).

Security issue #24: a made-up bearer or session cookie raised the body limit to
CHOREO_MAX_UPLOAD_MB and the door kept a chunked body in memory; bodies were spooled before the
401/403. In-process against the ASGI layer (what it pulls from the client, what reaches the
app) and against a real server over raw sockets (its RSS and its disk while 200 MB bodies come).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import AsyncClient

from asgi_project.limits import BodySizeLimit
from choreography.accounts.tokens import issue_token
from tests.asgi_gate import KIB, MIB, Client, ReadingApp, upload_scope
from tests.helpers import make_song
from tests.live import ROOT, copy_data_dir, server_env, start_server

CSRF = "k" * 32
"""A well-formed csrftoken cookie value; the X-CSRFToken header must carry the same."""


# --- in-process: the ASGI layer ------------------------------------------------------------


async def test_a_chunked_body_is_passed_on_as_it_arrives_and_stopped_at_the_limit():
    """No read-ahead: the app has each chunk before the next is pulled; past the limit the
    client gets 413 in the error shape, the app a disconnect, and nothing more is pulled."""
    chunks = [b"x" * (16 * KIB)] * 10
    client = Client(chunks)
    app = ReadingApp(client)
    scope = upload_scope(path="/api/choreography/generate/")
    await BodySizeLimit(app, max_bytes=64 * KIB)(scope, client.receive, client.send)
    assert app.seen == [(16 * KIB * i, 16 * KIB * i) for i in range(1, 5)]
    assert client.pulled == 5 * 16 * KIB, "stopped at the first chunk past the limit"
    assert app.last == {"type": "http.disconnect"}
    assert client.status == 413 and client.header(b"connection") == b"close"
    assert b"CHOREO_MAX_BODY_BYTES" in client.sent[-1]["body"]
    assert len([m for m in client.sent if m["type"] == "http.response.start"]) == 1

    small = Client([b"ab", b"cd"])
    await BodySizeLimit(ReadingApp(small), max_bytes=64 * KIB)(scope, small.receive, small.send)
    assert (small.status, small.sent[-1]["body"]) == (200, b"4")


@pytest.fixture
async def users(transactional_db):
    """Tokens and signed-in sessions for a staff user and a plain one."""
    made = {}
    for name, staff in (("boss", True), ("alice", False)):
        token = await issue_token(name)
        await get_user_model().objects.filter(username=name).aupdate(is_staff=staff)
        session = AsyncClient()
        await session.aforce_login(await get_user_model().objects.aget(username=name))
        made[name] = {"token": token, "session": session.cookies["sessionid"].value}
    return made


def callers(users: dict) -> dict[str, tuple[tuple[bytes, bytes], ...]]:
    """Header sets by who sends them."""

    def session(name: str, csrf_header: str | None) -> tuple[tuple[bytes, bytes], ...]:
        cookie = f"csrftoken={CSRF}; sessionid={users[name]['session']}".encode()
        extra = () if csrf_header is None else ((b"x-csrftoken", csrf_header.encode()),)
        return ((b"cookie", cookie), *extra)

    return {
        "anonymous": (),
        "made-up token": ((b"authorization", b"Bearer chor_made_up"),),
        "junk session": ((b"cookie", f"csrftoken={CSRF}; sessionid=junk".encode()),),
        "non-staff token": ((b"authorization", f"Bearer {users['alice']['token']}".encode()),),
        "non-staff session": session("alice", CSRF),
        "staff session without CSRF header": session("boss", None),
        "staff session with a wrong CSRF header": session("boss", "w" * 32),
        "staff token": ((b"authorization", f"Bearer {users['boss']['token']}".encode()),),
        "staff session": session("boss", CSRF),
    }


REFUSED = {
    "anonymous": (401, "authentication required"),
    "made-up token": (401, "invalid or revoked token"),
    "junk session": (401, "authentication required"),
    "non-staff token": (403, "staff only"),
    "non-staff session": (403, "staff only"),
    "staff session without CSRF header": (403, "CSRF check failed"),
    "staff session with a wrong CSRF header": (403, "CSRF check failed"),
}


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "declared"])
async def test_upload_routes_refuse_a_large_body_before_reading_a_byte(users, chunked):
    """Every caller but staff is answered 401/403 in the error shape with the body unread and
    the app never called; staff (token, or session with its X-CSRFToken header) get the body."""
    import json

    for who, headers in callers(users).items():
        client = Client([b"x" * (64 * KIB)] * 4)
        app = ReadingApp(client)
        length = () if chunked else ((b"content-length", str(256 * KIB).encode()),)
        scope = upload_scope(*headers, *length)
        await BodySizeLimit(app, max_bytes=64 * KIB, max_upload_bytes=MIB)(
            scope, client.receive, client.send
        )
        if who in REFUSED:
            status, error = REFUSED[who]
            body = json.loads(client.sent[-1]["body"])
            assert (client.status, body["error"]) == (status, error), who
            assert set(body) == {"error", "details", "stage"}
            assert client.pulled == 0 and app.seen == [], who
            assert client.header(b"connection") == b"close"
        else:
            assert (client.status, client.sent[-1]["body"]) == (200, b"%d" % (256 * KIB)), who


class CountingUploadHandler(TemporaryFileUploadHandler):
    """Django's default upload handler, counting the files it is given."""

    files = 0

    def new_file(self, *args, **kwargs) -> None:
        CountingUploadHandler.files += 1
        super().new_file(*args, **kwargs)


async def test_a_session_upload_is_parsed_once_with_its_csrf_header(
    users, runtime, settings, tmp_path
):
    """The API's CSRF check reads the header only: a staff session's upload reaches the view
    unparsed (one copy, under the work dir), and without the header is a 403."""
    settings.FILE_UPLOAD_HANDLERS = [f"{__name__}.CountingUploadHandler"]
    CountingUploadHandler.files = 0
    source = make_song(tmp_path / "session.wav", 3.0, ("-c:a", "pcm_s16le"))
    client = AsyncClient(enforce_csrf_checks=True)
    client.cookies["sessionid"] = users["boss"]["session"]
    client.cookies["csrftoken"] = CSRF
    with open(source, "rb") as handle:  # noqa: ASYNC230 - the test client reads it anyway
        refused = await client.post("/api/songs/", {"file": handle, "title": "S"})
    assert refused.status_code == 403 and refused.json()["error"] == "CSRF check failed"
    assert CountingUploadHandler.files == 0
    with open(source, "rb") as handle:  # noqa: ASYNC230
        response = await client.post(
            "/api/songs/", {"file": handle, "title": "S"}, headers={"X-CSRFToken": CSRF}
        )
    assert response.status_code == 201, response.content
    assert CountingUploadHandler.files == 0, "parsed by the view's own handler only"


# --- a real server: RSS and disk while 200 MB bodies come ----------------------------------

BIG = 200 * MIB
CHUNK = MIB

SESSION_SCRIPT = """
import sys
from importlib import import_module
import django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
for name in sys.argv[1:]:
    user = get_user_model().objects.get(username=name)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    print(name, store.session_key)
"""


def sessions_for(data_dir: Path, *names: str) -> dict[str, str]:
    """A signed-in session per user, created in the server's database."""
    done = subprocess.run(
        [sys.executable, "-c", SESSION_SCRIPT, *names],
        cwd=ROOT,
        env=server_env(data_dir),
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return dict(line.split() for line in done.stdout.splitlines())


class BigUpload:
    """A multipart POST to /api/songs/ whose 200 MB body comes 1 MiB at a time over a raw
    socket, chunked (the last chunk never sent, so the connection stays open as long as the
    server lets it: the attack of issue #24) or with its Content-Length declared."""

    def __init__(self, port: int, headers: dict[str, str], *, declared: bool = False) -> None:
        self.declared = declared
        head = [
            "POST /api/songs/ HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Content-Type: multipart/form-data; boundary=x",
            f"Content-Length: {BIG}" if declared else "Transfer-Encoding: chunked",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        self.sent = 0
        self.received = b""
        self.closed = False  # the server stopped taking the body

    def step(self) -> None:
        """Read what the server answered so far, then send one more chunk if it still takes it."""
        while not self.closed and select.select([self.sock], [], [], 0)[0]:
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            self.received += data
            self.closed = not data
        if self.closed or self.sent >= BIG:
            return
        try:
            data = b"\0" * CHUNK
            self.sock.sendall(data if self.declared else b"%x\r\n" % CHUNK + data + b"\r\n")
            self.sent += CHUNK
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.closed = True

    @property
    def status(self) -> int:
        return int(self.received.split(b" ", 2)[1]) if self.received.startswith(b"HTTP/") else 0

    def finish(self, timeout: float = 10) -> None:
        """Wait for the answer (and the close) once nothing more is sent."""
        self.sock.settimeout(timeout)
        with contextlib.suppress(OSError):
            while data := self.sock.recv(65536):
                self.received += data
        self.sock.close()


def rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return (
        int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) * KIB
    )


def disk_used(pid: int, *dirs: Path) -> int:
    """Bytes in files under ``dirs``: those listed there and those the server holds open
    there, deleted ones included (Django spools a body to an unlinked temporary file)."""
    paths = {p for d in dirs for p in d.rglob("*") if p.is_file()}
    total = sum(p.stat().st_size for p in paths)
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if any(target.startswith(str(d)) for d in dirs) and Path(target) not in paths:
                total += fd.stat().st_size
    return total


def send_at_once(
    server, tmp: Path, uploads: dict[str, dict[str, str]], *, declared: bool
) -> dict[str, BigUpload]:
    """Three 200 MB bodies at once, round robin; RSS and disk must stay flat."""
    dirs = (tmp, server.data_dir / "work")
    rss_before, disk_before = rss(server.pid), disk_used(server.pid, *dirs)
    open_ = {
        who: BigUpload(server.port, headers, declared=declared) for who, headers in uploads.items()
    }
    rss_peak, disk_peak = rss_before, disk_before
    while any(not up.closed and up.sent < BIG for up in open_.values()):
        for up in open_.values():
            up.step()
        rss_peak = max(rss_peak, rss(server.pid))
        disk_peak = max(disk_peak, disk_used(server.pid, *dirs))
    for up in open_.values():
        up.finish()
    grown = {"rss": rss_peak - rss_before, "disk": disk_peak - disk_before}
    sent = {who: up.sent for who, up in open_.items()}
    assert grown["rss"] < 50 * MIB, (grown, sent)
    assert grown["disk"] < MIB, (grown, sent)
    return open_


def test_no_caller_but_staff_can_pin_memory_or_disk_with_200_mb_bodies(live_template, tmp_path):
    """Three connections at a time, each streaming a 200 MB upload: chunked from a stranger, a
    made-up token and a non-staff token; with its length declared from a non-staff session and
    a staff session without or with a wrong CSRF header. Each is answered 401/403 at once and closed after a few MiB
    at most; the server's RSS grows < 50 MB and nothing lands on its disk. A staff upload of
    a real song (256 KiB and more) still goes through."""
    data_dir = copy_data_dir(live_template, tmp_path / "data")
    spool = tmp_path / "spool"
    spool.mkdir()
    server = start_server(data_dir, TMPDIR=str(spool))
    try:
        sessions = sessions_for(data_dir, "alice", "bob")
        with sqlite3.connect(data_dir / "choreo.sqlite3") as db:
            db.execute("UPDATE auth_user SET is_staff = 1 WHERE username = 'alice'")
        cookie = "csrftoken={csrf}; sessionid={key}"
        rounds = [
            {
                "anonymous": {},
                "made-up token": {"Authorization": "Bearer chor_made_up_token_value"},
                "non-staff token": server.auth("bob"),
            },
            {
                "non-staff session": {
                    "Cookie": cookie.format(csrf=CSRF, key=sessions["bob"]),
                    "X-CSRFToken": CSRF,
                },
                "staff session without CSRF header": {
                    "Cookie": cookie.format(csrf=CSRF, key=sessions["alice"]),
                },
                "staff session with a wrong CSRF header": {
                    "Cookie": cookie.format(csrf=CSRF, key=sessions["alice"]),
                    "X-CSRFToken": "w" * 32,
                },
            },
        ]
        warm = BigUpload(server.port, rounds[1]["non-staff session"])  # first-use imports
        warm.step()
        warm.finish()
        for declared, uploads in zip((False, True), rounds, strict=True):
            answered = send_at_once(server, spool, uploads, declared=declared)
            for who, up in answered.items():
                expected = 401 if who in ("anonymous", "made-up token") else 403
                assert up.status == expected, (who, up.received[:300])
                assert b'"stage"' in up.received and b"connection: close" in up.received.lower()
                assert up.sent < 32 * MIB, f"{who}: the server kept reading ({up.sent} bytes)"
        song = make_song(tmp_path / "staff.wav", 3.0, ("-c:a", "pcm_s16le"))
        form = (b"--x\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nStaff\r\n"
                b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"staff.wav\"\r\n"
                b"Content-Type: audio/wav\r\n\r\n" + song.read_bytes() + b"\r\n--x--\r\n")  # fmt: skip
        assert len(form) > 4 * 64 * KIB
        staff = httpx.post(
            f"{server.base}/api/songs/",
            headers={**server.auth("alice"), "Content-Type": "multipart/form-data; boundary=x"},
            content=form,  # declared: Django parses no multipart body without a length
            timeout=120,
        )
        assert staff.status_code == 201, staff.text
        assert server.work_dirs() == [] and not list(spool.iterdir())
    finally:
        server.stop()
