"""The edges of every server-rendered page: each answers signed in and signed out without a
500, carries a Content-Security-Policy, and a shared video's links end when the share does."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.test import AsyncClient
from django.utils import timezone

from choreography.accounts.models import Profile
from choreography.classplans.models import ClassPlan
from choreography.collections.models import SavedChoreography
from choreography.collections.pages import SHARED_PRESIGNED_TTL_S
from choreography.models import ChoreographyTask, Song, TaskStatus

pytestmark = pytest.mark.django_db(transaction=True)

TEMPLATES = Path(__file__).resolve().parents[2] / "choreography" / "templates"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


async def shared_video(tmp_path, *, username: str = "owner", runtimes) -> SavedChoreography:
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
    await runtimes.current.storage.upload(src, key)
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
async def site(tmp_path, runtimes):
    """An instructor with a class plan and a shared choreography: every page has something."""
    saved = await shared_video(tmp_path, username="teacher", runtimes=runtimes)
    teacher = await get_user_model().objects.aget(username="teacher")
    await Profile.objects.aupdate_or_create(user=teacher, defaults={"is_instructor": True})
    plan = await ClassPlan.objects.acreate(user=teacher, title="Monday")
    return {"user": teacher, "saved": saved, "plan": plan}


def directives(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy, directive by directive."""
    assert "Content-Security-Policy" in response, response.headers
    return {
        name: values
        for name, *values in (
            part.split() for part in response["Content-Security-Policy"].split(";")
        )
    }


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
    policy = directives(response)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"], policy
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]


async def test_a_signed_in_visitor_sees_a_shared_page(site):
    """The shared page shows the video to a signed-in visitor too (it answered 500)."""
    client = AsyncClient()
    await client.aforce_login(site["user"])
    response = await client.get(f"/shared/{site['saved'].share_token}/", headers=BROWSER)
    assert response.status_code == 200
    assert b"Shared one" in response.content
    assert b"Account (teacher)" in response.content


async def follow_video(client: AsyncClient, saved: SavedChoreography) -> str:
    """The page's video link, checked and redirected: where it sends the browser."""
    page = await client.get(f"/shared/{saved.share_token}/", headers=BROWSER)
    video = f"/shared/{saved.share_token}/video/"
    assert f'"video_url": "{video}"'.encode() in page.content  # the player's JSON
    response = await client.get(video)
    assert response.status_code == 302, response.content
    assert response["Cache-Control"] == "private, no-store"
    return response["Location"]


async def test_a_revoked_share_ends_its_video_links_at_once(tmp_path, runtimes):
    """On local storage the shared video's media link carries the share: it plays while shared
    and is 404 as soon as the share is revoked, long before it would expire; an earlier share's
    link stays dead after sharing again, and the share in a link cannot be swapped."""
    saved = await shared_video(tmp_path, runtimes=runtimes)
    client = AsyncClient()
    media = await follow_video(client, saved)
    assert media.startswith("/media/videos/") and "share=" in media
    assert (await client.get(media)).status_code == 200
    assert (await client.get(media, headers={"Range": "bytes=0-9"})).status_code == 206

    old_token = saved.share_token
    await SavedChoreography.objects.filter(pk=saved.pk).aupdate(share_token="")
    refused = await client.get(media)
    assert refused.status_code == 404
    assert set(refused.json()) == {"error", "details", "stage"}
    assert (await client.get(f"/shared/{old_token}/video/")).status_code == 404

    await SavedChoreography.objects.filter(pk=saved.pk).aupdate(share_token="again")
    assert (await client.get(media)).status_code == 404  # a new share revives no old link
    saved.share_token = "again"
    fresh = await follow_video(client, saved)
    assert (await client.get(fresh)).status_code == 200
    old_share, new_share = (parse_qs(urlsplit(link).query)["share"][0] for link in (media, fresh))
    swapped = media.replace(f"share={old_share}", f"share={new_share}")
    assert swapped != media
    assert (await client.get(swapped)).status_code == 403  # the share is signed into the link


async def test_an_expired_share_ends_its_video_links(tmp_path, runtimes):
    """A share past its expiry refuses its media link too."""
    saved = await shared_video(tmp_path, runtimes=runtimes)
    client = AsyncClient()
    media = await follow_video(client, saved)
    await SavedChoreography.objects.filter(pk=saved.pk).aupdate(
        share_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert (await client.get(media)).status_code == 404


async def test_on_s3_a_shared_video_redirects_to_a_short_lived_presigned_url(
    s3_backend, tmp_path, runtimes
):
    """On S3 the page's link is checked on every use and redirects to a presigned URL that
    lives SHARED_PRESIGNED_TTL_S (not the hour of CHOREO_URL_TTL_S); revoked, it is 404."""
    saved = await shared_video(tmp_path, runtimes=runtimes)
    client = AsyncClient()
    presigned = await follow_video(client, saved)
    assert presigned.startswith(s3_backend.settings.endpoint_url)
    assert f"X-Amz-Expires={SHARED_PRESIGNED_TTL_S}&" in presigned
    async with httpx.AsyncClient() as http:
        assert (await http.get(presigned)).content == b"v" * 64
    await SavedChoreography.objects.filter(pk=saved.pk).aupdate(share_token="")
    assert (await client.get(f"/shared/{saved.share_token}/video/")).status_code == 404


INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.I)


def test_templates_have_no_inline_script_or_style():
    """The policy allows no inline code: every template loads its scripts and styles from
    /static/ (an inline handler or <style> would be blocked in the browser)."""
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in INLINE.finditer(path.read_text())
    ]
    assert offenders == []


async def test_on_s3_the_policy_lets_media_come_from_the_bucket(s3_backend, tmp_path, runtimes):
    """With S3 storage the page's media and posters are presigned URLs on the S3 endpoint: its
    origin (and no other) joins media-src and img-src; scripts stay the site's own."""
    saved = await shared_video(tmp_path, runtimes=runtimes)
    response = await AsyncClient().get(f"/shared/{saved.share_token}/", headers=BROWSER)
    assert response.status_code == 200
    origin = s3_backend.settings.endpoint_url.rstrip("/")
    policy = directives(response)
    assert policy["media-src"] == ["'self'", origin]
    assert policy["img-src"] == ["'self'", "data:", origin]
    assert policy["script-src"] == ["'self'"] and policy["connect-src"] == ["'self'"]


async def test_on_local_storage_media_comes_from_the_site_only(tmp_path, runtimes):
    saved = await shared_video(tmp_path, runtimes=runtimes)
    response = await AsyncClient().get(f"/shared/{saved.share_token}/", headers=BROWSER)
    assert directives(response)["media-src"] == ["'self'"]
