"""History of a user's videos, isolation between users, and signed, expiring media links."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.clients import generate_ok as generate
from tests.clients import local

pytestmark = pytest.mark.django_db(transaction=True)


async def test_history_lists_only_my_completed_videos_newest_first(
    alice, bob, library, reconfigure
):
    song, _ = library
    first = await generate(alice, song, seed=1, difficulty="beginner")
    second = await generate(alice, song, seed=2, style="modern")
    theirs = await generate(bob, song, seed=3)
    await reconfigure(**{"assembly_timeout_s": 0.001})
    failed = await alice.post(
        "/api/choreography/generate/", {"song_id": song.id}, content_type="application/json"
    )
    assert failed.status_code == 504  # a failed generation is not part of the history

    page = (await alice.get("/api/choreography/videos/")).json()
    assert [item["task_id"] for item in page["items"]] == [second["task_id"], first["task_id"]]
    assert (page["total"], page["page"], page["page_size"], page["has_next"]) == (2, 1, 20, False)
    item = page["items"][1]
    assert item["song"] == {"id": song.id, "title": "Test Song", "artist": "Tester"}
    assert item["parameters"] == {
        "song_id": song.id,
        "difficulty": "beginner",
        "energy_level": "medium",
        "style": None,
        "seed": 1,
        "start_seconds": None,
        "end_seconds": None,
        "allow_repeats": False,
    }
    assert item["duration_seconds"] == pytest.approx(song.duration_seconds, abs=1 / 30)
    assert item["created_at"] and item["video_url_expires_at"]
    assert (await alice.get(local(item["video_url"]))).status_code == 200

    mine = (await bob.get("/api/choreography/videos/")).json()
    assert [i["task_id"] for i in mine["items"]] == [theirs["task_id"]]


async def test_history_pages(alice, library):
    song, _ = library
    ids = [(await generate(alice, song, seed=n))["task_id"] for n in range(3)]
    one = (await alice.get("/api/choreography/videos/?page=1&page_size=2")).json()
    two = (await alice.get("/api/choreography/videos/?page=2&page_size=2")).json()
    far = (await alice.get("/api/choreography/videos/?page=50&page_size=2")).json()
    assert [i["task_id"] for i in one["items"] + two["items"]] == ids[::-1]
    assert (one["has_next"], two["has_next"]) == (True, False)
    assert far["items"] == [] and far["total"] == 3


async def test_another_users_video_is_not_found_and_its_file_needs_a_signature(alice, bob, library):
    """Bob cannot see Alice's video in the API (404), nor make a link to its file (403)."""
    song, _ = library
    video = await generate(alice, song)
    detail = await alice.get(f"/api/choreography/videos/{video['task_id']}/")
    assert detail.status_code == 200
    assert [m["name"] for m in detail.json()["moves"]] == [m["name"] for m in video["moves"]]

    assert (await bob.get(f"/api/choreography/videos/{video['task_id']}/")).status_code == 404
    path = urlsplit(video["video_url"]).path
    unsigned = await bob.get(path)
    assert unsigned.status_code == 403
    assert unsigned.json()["error"] == "a signed link is required for media"
    query = parse_qs(urlsplit(video["video_url"]).query)
    forged = {"expires": query["expires"][0], "signature": "A" * 43}
    assert (await bob.get(f"{path}?{urlencode(forged)}")).status_code == 403
    longer = {"expires": int(query["expires"][0]) + 3600, "signature": query["signature"][0]}
    assert (await bob.get(f"{path}?{urlencode(longer)}")).status_code == 403

    bobs = await generate(bob, song)
    # Bob's own signature does not open Alice's key.
    bobs_query = urlsplit(bobs["video_url"]).query
    assert (await bob.get(f"{path}?{bobs_query}")).status_code == 403


async def test_an_expired_link_is_refused(alice, library, reconfigure):
    """With CHOREO_URL_TTL_S=2 the link works at once and is refused once its time passed."""
    runtime = await reconfigure(**{"url_ttl_s": 2})
    song, _ = library
    video = await generate(alice, song)
    url = local(video["video_url"])
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    assert expires - time.time() <= 3
    assert (await alice.get(url)).status_code == 200
    runtime.clock = lambda: expires + 0.5  # the clock moves past the expiry
    refused = await alice.get(url)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "the media link has expired",
        "details": "ask the API for a fresh video_url (GET /api/choreography/videos/)",
        "stage": "media",
    }
    fresh = (await alice.get("/api/choreography/videos/")).json()["items"][0]["video_url"]
    assert (await alice.get(local(fresh))).status_code == 200


async def test_signed_link_for_a_missing_object_is_404(alice, library, runtime):
    link = runtime.sign_media("videos/not-there.mp4")
    response = await alice.get(link.path)
    assert response.status_code == 404
    assert response.json()["stage"] == "media"
