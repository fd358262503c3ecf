"""Strict isolation: everything a studio holds is seen by its instructor and students only.

Two studios (each an instructor and a student) and an outsider; every studio route is tried on
studio A's things by everyone: strangers get 404 (as for a studio that does not exist), A's
student gets 403 where only the instructor may act, and nothing changes.
"""

from __future__ import annotations

import pytest

from choreography.studios.models import Membership, Studio, StudioMove

pytestmark = pytest.mark.django_db(transaction=True)

JSON = "application/json"


def routes(studio_id: int, move_id: int, student_id: int) -> list[tuple[str, str, dict | None]]:
    """(method, path, JSON body) of every route on one studio's things."""
    base = f"/api/studios/{studio_id}"
    return [
        ("get", f"{base}/", None),
        ("post", f"{base}/invite/", None),
        ("delete", f"{base}/invite/", None),
        ("get", f"{base}/students/", None),
        ("delete", f"{base}/students/{student_id}/", None),
        ("get", f"{base}/moves/", None),
        ("patch", f"{base}/moves/{move_id}/", {"label": "Stolen"}),
        ("delete", f"{base}/moves/{move_id}/", None),
    ]


INSTRUCTOR_ONLY = {"invite/", "students/", "moves/{move}/"}


async def call(client, method: str, path: str, body: dict | None):
    if body is None:
        return await getattr(client, method)(path)
    return await getattr(client, method)(path, body, content_type=JSON)


async def test_strangers_get_404_and_a_student_403_on_every_route(studios):
    """Outsider, studio B's instructor and B's student: 404 everywhere on studio A; A's student
    reads A (studio, moves) and gets 403 on what only A's instructor may do."""
    a = studios
    move = await StudioMove.objects.acreate(studio=a.studio_a, label="A's move", status="ready")
    invite_before = (await Studio.objects.aget(pk=a.studio_a.pk)).invite_hash
    for stranger in (a.outsider, a.teacher_b, a.student_b):
        for method, path, body in routes(a.studio_a.pk, move.pk, a.student_a.user.pk):
            response = await call(stranger.client, method, path, body)
            assert response.status_code == 404, (stranger.user, method, path, response.content)
            assert set(response.json()) == {"error", "details", "stage"}
    reads = {
        ("get", f"/api/studios/{a.studio_a.pk}/"),
        ("get", f"/api/studios/{a.studio_a.pk}/moves/"),
    }
    for method, path, body in routes(a.studio_a.pk, move.pk, a.student_a.user.pk):
        response = await call(a.student_a.client, method, path, body)
        expected = 200 if (method, path) in reads else 403
        assert response.status_code == expected, (method, path, response.content)
    moves = (await a.student_a.client.get(f"/api/studios/{a.studio_a.pk}/moves/")).json()
    assert [m["label"] for m in moves] == ["A's move"]
    # Nothing changed: the move, the invite and the membership are as they were.
    assert (await StudioMove.objects.aget(pk=move.pk)).label == "A's move"
    assert (await Studio.objects.aget(pk=a.studio_a.pk)).invite_hash == invite_before
    assert await Membership.objects.filter(studio=a.studio_a, user=a.student_a.user).aexists()


async def test_a_studio_that_does_not_exist_answers_like_a_foreign_one(studios):
    """The same 404 error for a missing studio and another's: nothing tells them apart."""
    foreign = await studios.outsider.client.get(f"/api/studios/{studios.studio_a.pk}/")
    missing = await studios.outsider.client.get("/api/studios/999999/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["stage"] == missing.json()["stage"]
    assert foreign.json()["error"].replace(str(studios.studio_a.pk), "N") == missing.json()[
        "error"
    ].replace("999999", "N")


async def test_mine_lists_only_the_callers_studios(studios):
    """Each sees the studio they teach or joined, with their role there; the outsider none."""
    a = studios
    expect = {
        a.teacher_a: [(a.studio_a.pk, "instructor", 1)],
        a.student_a: [(a.studio_a.pk, "student", 1)],
        a.teacher_b: [(a.studio_b.pk, "instructor", 1)],
        a.student_b: [(a.studio_b.pk, "student", 1)],
        a.outsider: [],
    }
    for who, listed in expect.items():
        got = (await who.client.get("/api/studios/mine/")).json()
        assert [(s["id"], s["role"], s["students"]) for s in got] == listed, who.user


async def test_a_move_of_another_studio_is_404_even_for_an_instructor(studios):
    """B's instructor cannot reach B's move through studio A's path, nor A's through B's."""
    a = studios
    move_b = await StudioMove.objects.acreate(studio=a.studio_b, label="B's move")
    path = f"/api/studios/{a.studio_a.pk}/moves/{move_b.pk}/"
    response = await a.teacher_a.client.patch(path, {"label": "x"}, content_type=JSON)
    assert response.status_code == 404
    assert (await a.teacher_a.client.delete(path)).status_code == 404
    assert await StudioMove.objects.filter(pk=move_b.pk, label="B's move").aexists()
