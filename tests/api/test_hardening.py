"""Hostile or odd input: always a clear 4xx with the error JSON, never a 500.

Validation happens before any lookup, so most of these need no library.
"""

from __future__ import annotations

import json

import pytest
from django.test import AsyncClient

from choreography.accounts.tokens import issue_token
from tests.clients import TokenClient

pytestmark = pytest.mark.django_db(transaction=True)

ERROR_KEYS = {"error", "details", "stage"}


@pytest.fixture
async def client(transactional_db):
    return TokenClient(await issue_token("alice"))


def body(**fields) -> bytes:
    return json.dumps({"song_id": 1, **fields}).encode()


BAD_BODIES = {
    "not json": b"not json",
    "invalid utf-8": b'{"song_id": 1, "style": "\xff\xfe"}',
    "json array": b"[1, 2]",
    "json string": b'"song"',
    "json null": b"null",
    "empty object": b"{}",
    "song_id as string": body(song_id="1"),
    "song_id non-numeric": body(song_id="abc"),
    "song_id float": body(song_id=1.5),
    "song_id bool": body(song_id=True),
    "song_id null": body(song_id=None),
    "song_id zero": body(song_id=0),
    "song_id negative": body(song_id=-3),
    "song_id too big": body(song_id=2**31),
    "song_id huge": b'{"song_id": ' + b"9" * 400 + b"}",
    "song_id NaN": b'{"song_id": NaN}',
    "song_id object": body(song_id={"id": 1}),
    "unknown field": body(colour="red"),
    "difficulty number": body(difficulty=5),
    "difficulty unicode": body(difficulty="principiante \N{DANCER}"),
    "difficulty padded": body(difficulty=" beginner"),
    "style empty": body(style=""),
    "style accented": body(style="romántico"),
    "style NUL": body(style="romantic\x00"),
    "style lone surrogate": b'{"song_id": 1, "style": "\\ud800"}',
    "style list": body(style=["romantic"]),
    "seed negative": body(seed=-1),
    "seed too big": body(seed=2**40),
    "seed string": body(seed="42"),
    "deeply nested": b'{"song_id": ' + b"[" * 5000 + b"]" * 5000 + b"}",
}


@pytest.mark.parametrize("raw", BAD_BODIES.values(), ids=BAD_BODIES.keys())
async def test_bad_generate_bodies_are_400_with_the_error_json(client, raw):
    response = await client.post(
        "/api/choreography/generate/", raw, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    payload = response.json()
    assert set(payload) == ERROR_KEYS
    assert payload["stage"] == "validation"
    assert payload["error"]


async def test_field_errors_name_the_field_and_what_it_allows(client):
    response = await client.post(
        "/api/choreography/generate/",
        body(song_id="1", energy_level="max", colour="red"),
        content_type="application/json",
    )
    assert response.status_code == 400
    problems = {p["field"]: p["message"] for p in response.json()["details"]}
    assert set(problems) == {"song_id", "energy_level", "colour"}
    assert "'low', 'medium' or 'high'" in problems["energy_level"]
    assert "integer" in problems["song_id"]


async def test_body_over_the_limit_is_413(client, settings):
    raw = body(style="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    response = await client.post(
        "/api/choreography/generate/", raw, content_type="application/json"
    )
    assert response.status_code == 413
    assert set(response.json()) == ERROR_KEYS


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1.5", "page"),
        ("page=" + "9" * 40, "page"),
        ("page_size=1000", "page_size"),
        ("page_size=%F0%9F%92%83", "page_size"),
        ("page=%FF", "page"),
        ("page=%D9%A1", "page"),  # ARABIC-INDIC DIGIT ONE
    ],
)
async def test_bad_history_queries_are_400(client, query, field):
    response = await client.get(f"/api/choreography/videos/?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["details"][0]["field"] == field


@pytest.mark.parametrize(
    "task_id", ["123", "abc", "%F0%9F%92%83", "00000000-0000-0000-0000-00000000000g", "1e3"]
)
async def test_non_uuid_video_ids_are_400(client, task_id):
    response = await client.get(f"/api/choreography/videos/{task_id}/")
    assert response.status_code == 400
    assert set(response.json()) == ERROR_KEYS


async def test_unknown_video_id_is_404(client):
    response = await client.get("/api/choreography/videos/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json()["stage"] == "lookup"


async def test_unknown_api_url_and_wrong_method_answer_error_json(client):
    missing = await client.get("/api/nope/")
    assert missing.status_code == 404
    assert set(missing.json()) == ERROR_KEYS
    wrong = await client.get("/api/choreography/generate/")
    assert wrong.status_code == 405
    assert wrong["Allow"] == "POST"
    assert set(wrong.json()) == ERROR_KEYS


async def test_unicode_and_odd_headers_do_not_break_auth(transactional_db):
    """A token with non-ASCII bytes, or another scheme, is a clear 401."""
    client = AsyncClient()
    # A server hands header bytes over as latin-1: UTF-8 bytes arrive as mojibake.
    odd = "Bearer \N{DANCER}tøken".encode().decode("latin1")
    for header, error in [
        (odd, "invalid or revoked token"),
        ("Basic YWxhZGRpbjpvcGVuc2VzYW1l", "malformed Authorization header"),
        ("Bearer ", "malformed Authorization header"),
    ]:
        response = await client.post(
            "/api/choreography/generate/",
            body(),
            content_type="application/json",
            headers={"Authorization": header},
        )
        assert response.status_code == 401
        assert response.json()["error"] == error
