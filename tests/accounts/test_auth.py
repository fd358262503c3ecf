"""Bearer tokens (hashed, revocable) and Django session auth (with CSRF) for the web page."""

from __future__ import annotations

import io

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import AsyncClient

from choreography.accounts.models import ApiToken
from choreography.accounts.tokens import hash_token, issue_token

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = "k" * 32  # a valid CSRF secret: the cookie and the header must carry the same one


async def session_client(username: str, *, enforce_csrf: bool = True) -> AsyncClient:
    user, _ = await get_user_model().objects.aget_or_create(username=username)
    client = AsyncClient(enforce_csrf_checks=enforce_csrf)
    await client.aforce_login(user)
    return client


async def post_generate(client: AsyncClient, song_id: int, **headers):
    return await client.post(
        "/api/choreography/generate/",
        {"song_id": song_id, "seed": 5},
        content_type="application/json",
        headers=headers,
    )


async def test_tokens_are_stored_hashed(transactional_db):
    token = await issue_token("alice")
    record = await ApiToken.objects.aget()
    assert record.token_hash == hash_token(token) != token
    assert token not in (record.token_hash, record.prefix)
    assert token.startswith(record.prefix)


async def test_session_user_can_generate_with_csrf_and_list_videos(library):
    song, _ = library
    client = await session_client("webuser")
    client.cookies["csrftoken"] = CSRF
    response = await post_generate(client, song.id, **{"X-CSRFToken": CSRF})
    assert response.status_code == 200, response.content
    listed = await client.get("/api/choreography/videos/")
    assert [v["task_id"] for v in listed.json()["items"]] == [response.json()["task_id"]]


async def test_session_post_without_csrf_is_403_error_json(library):
    song, _ = library
    client = await session_client("webuser")
    response = await post_generate(client, song.id)
    assert response.status_code == 403
    assert response.json() == {
        "error": "CSRF check failed",
        "details": "send the csrftoken cookie's value in the X-CSRFToken header",
        "stage": "authentication",
    }


async def test_no_credentials_is_401_and_anonymous_session_does_not_count(library):
    song, _ = library
    anonymous = AsyncClient()
    anonymous.cookies["sessionid"] = "not-a-session"
    response = await post_generate(anonymous, song.id)
    assert response.status_code == 401
    assert response.json()["error"] == "authentication required"
    assert (await anonymous.get("/api/choreography/videos/")).status_code == 401


async def run_command(*args) -> str:
    out = io.StringIO()
    await sync_to_async(call_command)(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


async def videos_status(token: str) -> int:
    response = await AsyncClient().get(
        "/api/choreography/videos/", headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


async def test_revoke_token_by_prefix_full_token_or_user(transactional_db):
    """A revoked token is refused at once; the others keep working."""
    first, second, third = [await issue_token("alice") for _ in range(3)]
    other = await issue_token("bob")
    assert await videos_status(first) == 200

    assert "revoked 1 token(s)" in await run_command("revoke_token", "--prefix", first[:12])
    assert await videos_status(first) == 401
    assert await videos_status(second) == 200

    assert "revoked 1 token(s)" in await run_command("revoke_token", second)
    assert await videos_status(second) == 401

    assert "revoked 1 token(s)" in await run_command("revoke_token", "--user", "alice")
    assert await videos_status(third) == 401
    assert await videos_status(other) == 200

    with pytest.raises(CommandError, match="no active token matched"):
        await run_command("revoke_token", "--user", "alice")
    with pytest.raises(CommandError, match="say which token"):
        await run_command("revoke_token")
