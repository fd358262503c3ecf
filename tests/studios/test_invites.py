"""Invites and students: a code joins, renewing or revoking stops the old one, the instructor
removes a student, codes are random and stored only as a hash."""

from __future__ import annotations

import hashlib

import pytest

from choreography.studios.models import Membership, Studio
from tests.studios.conftest import person

pytestmark = pytest.mark.django_db(transaction=True)

JSON = "application/json"


async def join(client, code: str):
    return await client.post("/api/studios/join/", {"code": code}, content_type=JSON)


async def test_a_code_joins_and_renewing_stops_the_old_one(studios):
    """POST invite: {code, url}; join 200 as a student; after a renewal the old code is 404."""
    a = studios
    response = await a.teacher_a.client.post(f"/api/studios/{a.studio_a.pk}/invite/")
    assert response.status_code == 200
    invite = response.json()
    assert invite["url"] == f"http://testserver/studios/join/{invite['code']}/"
    newcomer = await person("newcomer")
    joined = await join(newcomer.client, invite["code"])
    assert joined.status_code == 200, joined.content
    assert (joined.json()["id"], joined.json()["role"]) == (a.studio_a.pk, "student")
    assert (await join(newcomer.client, invite["code"])).status_code == 200  # idempotent

    renewed = (await a.teacher_a.client.post(f"/api/studios/{a.studio_a.pk}/invite/")).json()
    assert renewed["code"] != invite["code"]
    late = await person("late")
    old = await join(late.client, invite["code"])
    assert old.status_code == 404 and old.json()["error"] == "this invite code does not work"
    assert (await join(late.client, renewed["code"])).status_code == 200


async def test_revoking_stops_every_code(studios):
    """DELETE invite: 204, then no code joins until a new one is made."""
    a = studios
    code = (await a.teacher_a.client.post(f"/api/studios/{a.studio_a.pk}/invite/")).json()["code"]
    assert (
        await a.teacher_a.client.delete(f"/api/studios/{a.studio_a.pk}/invite/")
    ).status_code == 204
    late = await person("late")
    assert (await join(late.client, code)).status_code == 404
    assert (await join(late.client, "")).status_code == 400
    assert not await Membership.objects.filter(user=late.user).aexists()


async def test_codes_are_random_and_only_their_hash_is_stored(studios):
    """Two renewals give unrelated 24-character codes; the row holds the SHA-256, not the code."""
    a = studios
    codes = [
        (await a.teacher_a.client.post(f"/api/studios/{a.studio_a.pk}/invite/")).json()["code"]
        for _ in range(2)
    ]
    assert len(set(codes)) == 2 and all(len(code) == 24 for code in codes)
    stored = (await Studio.objects.aget(pk=a.studio_a.pk)).invite_hash
    assert stored == hashlib.sha256(codes[-1].encode()).hexdigest()
    assert codes[-1] not in stored


async def test_the_instructor_removes_a_student_who_then_sees_nothing(studios):
    """DELETE students/{id}: 204; the student no longer lists it and gets 404 on it."""
    a = studios
    listed = (await a.teacher_a.client.get(f"/api/studios/{a.studio_a.pk}/students/")).json()
    assert [s["username"] for s in listed] == ["student-a"]
    path = f"/api/studios/{a.studio_a.pk}/students/{a.student_a.user.pk}/"
    assert (await a.teacher_a.client.delete(path)).status_code == 204
    assert (await a.teacher_a.client.delete(path)).status_code == 404
    assert (await a.student_a.client.get("/api/studios/mine/")).json() == []
    assert (await a.student_a.client.get(f"/api/studios/{a.studio_a.pk}/")).status_code == 404


async def test_the_instructor_joining_their_own_studio_stays_its_instructor(studios):
    """An instructor who opens their own invite link is not made a student."""
    a = studios
    code = (await a.teacher_a.client.post(f"/api/studios/{a.studio_a.pk}/invite/")).json()["code"]
    response = await join(a.teacher_a.client, code)
    assert response.status_code == 200 and response.json()["role"] == "instructor"
    assert not await Membership.objects.filter(user=a.teacher_a.user).aexists()
