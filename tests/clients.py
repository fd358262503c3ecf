"""What in-process tests share: the clients that call the app, the API steps many tests take
(sign up, generate, stream, upload), the rows they make, and the management command runner.

Test modules import these from here, never from one another (tests/test_architecture.py checks
it); fixtures several folders use are in tests/conftest.py.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import AsyncClient

from choreography.accounts.tokens import issue_token
from choreography.models import ChoreographyTask, Song, TaskStatus
from tests.live import parse_sse

PASSWORD = "salsa-on-two-1987"
ERROR_KEYS = {"error", "details", "stage"}
"""The keys of every error body the API answers."""


# --- clients ---------------------------------------------------------------------------------


class TokenClient(AsyncClient):
    """An AsyncClient that sends a bearer token with every request."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def generic(self, *args, headers=None, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        return super().generic(*args, headers=headers, **kwargs)


class Client(AsyncClient):
    """An AsyncClient calling from ``ip`` and, when given, with a bearer token."""

    def __init__(self, token: str | None = None, *, ip: str = "127.0.0.1", **kwargs) -> None:
        super().__init__(**kwargs)
        self.token, self.ip = token, ip

    def _base_scope(self, **request):
        return {**super()._base_scope(**request), "client": [self.ip, 0]}

    def generic(self, *args, headers=None, **kwargs):
        if self.token:
            headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        return super().generic(*args, headers=headers, **kwargs)

    async def send(self, method: str, path: str, body: dict | None = None, **kwargs):
        call = getattr(self, method.lower())
        if body is None:
            return await call(path, **kwargs)
        return await call(path, body, content_type="application/json", **kwargs)


async def staff_client(name: str = "boss") -> TokenClient:
    """A token client of a staff user (created if new)."""
    client = TokenClient(await issue_token(name))
    await get_user_model().objects.filter(username=name).aupdate(is_staff=True)
    return client


# --- accounts --------------------------------------------------------------------------------


async def register(client: Client, username="alice", email="alice@example.com", password=PASSWORD):
    return await client.send(
        "POST", "/api/auth/register/", {"username": username, "email": email, "password": password}
    )


async def signed_up(username="alice") -> Client:
    """A client holding the log-in token of a freshly registered user."""
    response = await register(Client(), username=username, email=f"{username}@example.com")
    assert response.status_code == 201, response.content
    return Client(response.json()["token"])


# --- generation ------------------------------------------------------------------------------


async def generate(client, library, **body):
    """POST a generation of the ``library`` fixture's song; the response, whatever it is."""
    song, _ = library
    return await client.post(
        "/api/choreography/generate/", {"song_id": song.id, **body}, content_type="application/json"
    )


async def generate_ok(client, song, **fields) -> dict:
    """POST a generation of ``song`` that must succeed; its JSON body."""
    response = await client.post(
        "/api/choreography/generate/",
        {"song_id": song.id, **fields},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def media_path(video_url: str) -> Path:
    """The local file a /media/ URL of the in-process app serves."""
    key = urlsplit(video_url).path.split("/media/", 1)[1]
    return settings.MEDIA_ROOT / unquote(key)


def local(url: str) -> str:
    """The path and query of an absolute URL (the in-process client talks to 'testserver')."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


class StreamReader:
    """Reads an in-process streaming response event by event."""

    def __init__(self, response) -> None:
        self.chunks = response.streaming_content.__aiter__()
        self.buffer = ""

    async def next_block(self) -> str:
        while "\n\n" not in self.buffer:
            self.buffer += (await anext(self.chunks)).decode()
        block, self.buffer = self.buffer.split("\n\n", 1)
        return block

    async def events(self):
        while True:
            try:
                block = await self.next_block()
            except StopAsyncIteration:
                return
            for event in parse_sse([*block.split("\n"), ""]):
                yield event


async def start_stream(client, song, **fields):
    """POST a generation asking for server-sent events; a reader of the stream."""
    response = await client.post(
        "/api/choreography/generate/",
        {"song_id": song.id, **fields},
        content_type="application/json",
        headers={"Accept": "text/event-stream"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    return StreamReader(response)


# --- rows and stored objects -----------------------------------------------------------------


async def user(name: str):
    return await get_user_model().objects.aget(username=name)


async def a_song(title: str = "Obsesión") -> Song:
    """A song row (no audio stored: for tests that never play it)."""
    return await Song.objects.acreate(
        title=title,
        artist="Aventura",
        audio_key=f"songs/{uuid.uuid4().hex}.m4a",
        duration_seconds=180.0,
        bpm=120.0,
        content_hash=uuid.uuid4().hex,
    )


async def a_video(
    owner: str,
    song: Song,
    tmp_path,
    *,
    difficulty="beginner",
    style="romantic",
    size=1000,
    duration=120.0,
    status=TaskStatus.COMPLETED,
    error="",
    stage="completed",
    seed=7,
    runtimes,
) -> ChoreographyTask:
    """A task row as a generation leaves it, with its video object stored (in the test's
    current runtime, ``runtimes``: the fixture) when completed."""
    task_id = uuid.uuid4()
    result = {}
    if status == TaskStatus.COMPLETED:
        key = f"videos/{task_id}.mp4"
        src = tmp_path / f"{task_id}.mp4"
        src.write_bytes(b"v" * 16)
        await runtimes.current.storage.upload(src, key)
        result = {
            "video_key": key,
            "duration_seconds": duration,
            "size_bytes": size,
            "timeline": [
                {
                    "name": "basic",
                    "label": "Basic step",
                    "start_time": 0.0,
                    "duration": 4.0,
                    "difficulty": difficulty,
                    "energy_level": "medium",
                    "style": style,
                }
            ],
        }
    return await ChoreographyTask.objects.acreate(
        id=task_id,
        user=await user(owner),
        song=song,
        parameters={
            "song_id": song.pk,
            "difficulty": difficulty,
            "energy_level": "medium",
            "style": style,
            "seed": seed,
        },
        status=status,
        stage=stage,
        error=error,
        result=result,
    )


async def stored_videos(*tasks, runtimes) -> list[str]:
    """Which of these tasks' videos the storage lists (other tests' videos may share it)."""
    keys = {f"videos/{task.pk}.mp4" for task in tasks}
    return sorted(k for k in await runtimes.current.storage.list("videos/") if k in keys)


# --- staff uploads and commands --------------------------------------------------------------


async def upload(client, url: str, path, **fields):
    """POST ``path`` as a multipart ``file`` with ``fields`` (the staff upload routes)."""
    with open(path, "rb") as handle:  # noqa: ASYNC230 - the test client reads it anyway
        return await client.post(url, {"file": handle, **fields})


def leftover_uploads(runtime) -> list:
    """Upload temp files still in the runtime's work dir."""
    return list(runtime.work_root.glob("*.upload*"))


def run_command(name, *args):
    """Run a command; returns (stdout, stderr, CommandError or None)."""
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out, err = StringIO(), StringIO()
    try:
        call_command(name, *[str(a) for a in args], stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None
