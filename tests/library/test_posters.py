"""Posters: a JPEG of each clip's middle frame, made once at import and linked like the video."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from choreography.generation.selectors import poster_key
from choreography.models import Move
from choreography.music.generator import MoveOption
from tests.clients import generate_ok as generate
from tests.clients import local
from tests.helpers import frame_colors

pytestmark = pytest.mark.django_db(transaction=True)

JPEG_MAGIC = b"\xff\xd8\xff"


async def stored_bytes(storage, key: str, tmp_path) -> bytes:
    path = tmp_path / key.replace("/", "_")
    await storage.download(key, path)
    return path.read_bytes()


async def test_import_stores_the_middle_frame_as_a_jpeg(library, runtime, tmp_path):
    """Every imported move has a JPEG poster, and it shows the clip's middle frame."""
    _, moves = library
    for move in moves:
        assert move.poster_key == f"library/posters/{move.content_hash[:24]}.jpg"
        data = await stored_bytes(runtime.storage, move.poster_key, tmp_path)
        assert data.startswith(JPEG_MAGIC), move.name
    move = moves[0]
    clip = tmp_path / "clip.mp4"
    await runtime.storage.download(move.clip_key, clip)
    poster = tmp_path / "poster.jpg"
    await runtime.storage.download(move.poster_key, poster)
    (colour,) = frame_colors(poster)
    middle = frame_colors(clip)[move.frames // 2]
    assert max(abs(a - b) for a, b in zip(colour, middle, strict=True)) < 12


async def test_generation_history_and_collection_carry_a_poster_that_is_an_image(
    alice,
    library,
):
    """The response, the history item and the saved item link the first move's poster; the
    link answers image/jpeg (served, not encoded, per request)."""
    song, moves = library
    video = await generate(alice, song, seed=4)
    first = next(m for m in moves if m.name == video["moves"][0]["name"])
    url = video["poster_url"]
    assert urlsplit(url).path == f"/media/{first.poster_key}"
    assert "signature=" in url and "expires=" in url
    response = await alice.get(local(url))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    body = b"".join([chunk async for chunk in response.streaming_content])
    assert body.startswith(JPEG_MAGIC)

    history = (await alice.get("/api/choreography/videos/")).json()["items"][0]
    assert urlsplit(history["poster_url"]).path == urlsplit(url).path
    detail = (await alice.get(f"/api/choreography/videos/{video['task_id']}/")).json()
    assert urlsplit(detail["poster_url"]).path == urlsplit(url).path
    saved = await alice.post(
        "/api/collections/", {"task_id": video["task_id"]}, content_type="application/json"
    )
    assert saved.status_code == 201, saved.content
    assert urlsplit(saved.json()["poster_url"]).path == urlsplit(url).path


async def test_a_poster_link_needs_a_valid_signature(alice, bob, library):
    """Without its signature, with a forged one, a longer expiry or someone else's signature,
    a poster link is refused like a video link."""
    song, _ = library
    video = await generate(alice, song, seed=5)
    path = urlsplit(video["poster_url"]).path
    query = parse_qs(urlsplit(video["poster_url"]).query)
    unsigned = await bob.get(path)
    assert unsigned.status_code == 403
    assert unsigned.json()["stage"] == "media"
    forged = {"expires": query["expires"][0], "signature": "A" * 43}
    assert (await bob.get(f"{path}?{urlencode(forged)}")).status_code == 403
    longer = {"expires": int(query["expires"][0]) + 3600, "signature": query["signature"][0]}
    assert (await bob.get(f"{path}?{urlencode(longer)}")).status_code == 403
    video_query = urlsplit(video["video_url"]).query
    assert (await bob.get(f"{path}?{video_query}")).status_code == 403


async def test_moves_imported_before_posters_give_a_null_poster(alice, library):
    """A library imported before posters existed still generates; poster_url is null."""
    song, _ = library
    await Move.objects.aupdate(poster_key="")
    video = await generate(alice, song, seed=6)
    assert video["poster_url"] is None
    history = (await alice.get("/api/choreography/videos/")).json()["items"][0]
    assert history["poster_url"] is None


def option(name: str, role: str = "move") -> MoveOption:
    return MoveOption(
        name=name, label=name, clip_key=f"{name}.mp4", duration=2.0, difficulty="beginner",
        energy_level="low", style="romantic", tempo_bpm=120.0, role=role,
    )  # fmt: skip


def test_the_poster_is_the_first_danced_move_not_the_intro():
    """The intro is skipped when a danced move has a poster; a move without one is passed over."""
    moves = [
        Move(name="welcome", poster_key="p/welcome.jpg"),
        Move(name="basic", poster_key=""),
        Move(name="dip", poster_key="p/dip.jpg"),
    ]
    timeline = [option("welcome", "intro"), option("basic"), option("dip")]
    assert poster_key(timeline, moves) == "p/dip.jpg"
    assert poster_key(timeline[:2], moves) == "p/welcome.jpg"
    assert poster_key(timeline[1:2], moves) == ""


async def test_posters_on_s3_are_presigned_jpegs(alice, s3_backend, library, tmp_path):
    """With STORAGE_BACKEND=s3 the poster is in the bucket and its presigned URL answers a JPEG."""
    song, moves = library
    stored = set(await s3_backend.list("library/posters/"))
    assert {m.poster_key for m in moves} == stored
    video = await generate(alice, song, seed=7)
    assert "X-Amz-Signature=" in video["poster_url"]
    async with httpx.AsyncClient() as http:
        response = await http.get(video["poster_url"])
        tampered = await http.get(
            video["poster_url"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
        )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.content.startswith(JPEG_MAGIC)
    assert tampered.status_code == 403
