"""Class plans: the /api/class-plans/ API, its rules, and the printable page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import AsyncClient

from choreography.accounts.models import Profile
from choreography.accounts.tokens import issue_token
from choreography.classplans.models import ClassPlan, PlanSequence
from choreography.collections.models import SavedChoreography
from choreography.models import ChoreographyTask, Song, TaskStatus
from tests.clients import TokenClient

STATIC = Path(__file__).resolve().parents[2] / "choreography" / "static" / "choreography"

pytestmark = pytest.mark.django_db(transaction=True)

JSON = "application/json"


def move(name, start, duration, difficulty):
    return {
        "name": name,
        "label": name.title(),
        "start_time": start,
        "duration": duration,
        "difficulty": difficulty,
        "energy_level": "medium",
        "style": "romantic",
    }


# bpm 120 with the first downbeat at 0.5 s: one 8-count lasts 4 s, counts start at 0.5, 4.5, 8.5...
TIMELINE_A = [
    move("basic", 0.0, 0.5, "beginner"),  # before the first beat: intro
    move("basic", 0.5, 4.0, "beginner"),  # count 1
    move("turn", 4.5, 4.0, "intermediate"),  # count 2
    move("dip", 9.0, 3.0, "advanced"),  # count 3
]
TIMELINE_B = [move("turn", 0.5, 4.0, "intermediate"), move("wave", 4.5, 6.0, "beginner")]


async def make_user(username: str, *, instructor: bool) -> tuple[TokenClient, object]:
    token = await issue_token(username)
    user = await get_user_model().objects.aget(username=username)
    await Profile.objects.aupdate_or_create(user=user, defaults={"is_instructor": instructor})
    return TokenClient(token), user


async def saved(user, timeline, seconds, title="Saved") -> SavedChoreography:
    song, _ = await Song.objects.aget_or_create(
        content_hash="plans-song",
        defaults={
            "title": "Plan Song",
            "audio_key": "songs/x.m4a",
            "duration_seconds": 60.0,
            "bpm": 120.0,
            "first_beat_seconds": 0.5,
        },
    )
    task = await ChoreographyTask.objects.acreate(
        user=user,
        song=song,
        status=TaskStatus.COMPLETED,
        stage="completed",
        progress=100,
        result={"timeline": timeline, "duration_seconds": seconds, "video_key": "videos/x.mp4"},
    )
    return await SavedChoreography.objects.acreate(user=user, task=task, title=title)


@pytest.fixture
async def teacher(transactional_db):
    client, user = await make_user("teacher", instructor=True)
    a = await saved(user, TIMELINE_A, 12.0, "Routine A")
    b = await saved(user, TIMELINE_B, 10.5, "Routine B")
    return client, user, a, b


async def create(client, **body):
    response = await client.post("/api/class-plans/", {"title": "Monday", **body}, JSON)
    assert response.status_code == 201, response.content
    return response.json()


async def add(client, plan_id, choreography_id, **body):
    response = await client.post(
        f"/api/class-plans/{plan_id}/sequences/", {"choreography_id": choreography_id, **body}, JSON
    )
    assert response.status_code == 201, response.content
    return response.json()


async def plan_with_three(client, a, b):
    plan = await create(client, duration_target_minutes=1)
    s1 = await add(client, plan["id"], a.pk, repetitions=2, notes="warm up")
    s2 = await add(client, plan["id"], b.pk)
    s3 = await add(client, plan["id"], a.pk, repetitions=1)
    return plan, [s1, s2, s3]


async def test_anonymous_is_401_and_non_instructor_is_403(teacher):
    """Without credentials every operation is 401; a signed-in dancer who is not an instructor
    gets 403 in the usual error shape."""
    assert (await AsyncClient().get("/api/class-plans/")).status_code == 401
    dancer, _ = await make_user("dancer", instructor=False)
    for response in (
        await dancer.get("/api/class-plans/"),
        await dancer.post("/api/class-plans/", {"title": "x"}, JSON),
        await dancer.get("/api/class-plans/stats/"),
    ):
        assert response.status_code == 403
        assert response.json()["stage"] == "authorization"
        assert set(response.json()) == {"error", "details", "stage"}


async def test_create_get_list_patch_and_delete_a_plan(teacher):
    """A plan is created with its fields, listed newest first and paged, edited, deleted."""
    client, _, _, _ = teacher
    first = await create(
        client, level="beginner", date="2026-12-31", duration_target_minutes=60, notes="n"
    )
    assert first["title"] == "Monday" and first["date"] == "2026-12-31"
    assert first["sequences"] == []
    second = await create(client, title="Tuesday")
    page = (await client.get("/api/class-plans/?page_size=1")).json()
    assert [p["id"] for p in page["items"]] == [second["id"]]
    assert (page["total"], page["has_next"]) == (2, True)
    got = (await client.get(f"/api/class-plans/{first['id']}/")).json()
    assert (got["level"], got["duration_target_minutes"]) == ("beginner", 60)
    patched = await client.patch(
        f"/api/class-plans/{first['id']}/", {"title": "Mon", "duration_target_minutes": 45}, JSON
    )
    assert patched.status_code == 200
    assert (patched.json()["title"], patched.json()["duration_target_minutes"]) == ("Mon", 45)
    assert patched.json()["notes"] == "n"
    assert (await client.delete(f"/api/class-plans/{first['id']}/")).status_code == 204
    assert (await client.get(f"/api/class-plans/{first['id']}/")).status_code == 404
    assert await ClassPlan.objects.acount() == 1


async def test_bad_plan_bodies_are_400(teacher):
    """A missing title, an unknown field or a bad date is refused with 400."""
    client, _, _, _ = teacher
    for body in ({}, {"title": "x", "colour": "red"}, {"title": "x", "date": "soon"}):
        response = await client.post("/api/class-plans/", body, JSON)
        assert response.status_code == 400, body
        assert response.json()["stage"] == "validation"


@pytest.mark.parametrize(
    "field, value",
    [
        ("date", 0),  # was accepted as 1970-01-01
        ("date", 1767139200),
        ("date", 0.0),
        ("date", True),
        ("date", "2026-12-31T00:00:00"),
        ("date", "20261231"),
        ("date", ["2026-12-31"]),
        ("duration_target_minutes", "60"),
        ("duration_target_minutes", 60.0),
        ("title", 5),
    ],
)
async def test_plan_fields_are_strict(teacher, field, value):
    """A date is only an ISO ``YYYY-MM-DD`` string and numbers are JSON numbers: anything
    pydantic would coerce (``"date": 0`` as 1970-01-01) is 400 in the error shape, on create and
    on edit, and nothing is stored."""
    client, _, _, _ = teacher
    plan = await create(client)
    for response in (
        await client.post("/api/class-plans/", {"title": "x", field: value}, JSON),
        await client.patch(f"/api/class-plans/{plan['id']}/", {field: value}, JSON),
    ):
        assert response.status_code == 400, (field, value, response.content)
        assert set(response.json()) == {"error", "details", "stage"}
        assert response.json()["stage"] == "validation"
        assert [error["field"] for error in response.json()["details"]] == [field]
    assert await ClassPlan.objects.acount() == 1
    unchanged = (await client.get(f"/api/class-plans/{plan['id']}/")).json()
    assert (unchanged["title"], unchanged["date"]) == ("Monday", None)


async def test_another_instructors_plan_and_choreography_are_404(teacher):
    """Plans are strictly per user, and a sequence may only use the caller's own choreographies."""
    client, _, a, _ = teacher
    plan = await create(client)
    other, other_user = await make_user("other", instructor=True)
    theirs = await saved(other_user, TIMELINE_B, 5.0)
    for response in (
        await other.get(f"/api/class-plans/{plan['id']}/"),
        await other.patch(f"/api/class-plans/{plan['id']}/", {"title": "mine"}, JSON),
        await other.delete(f"/api/class-plans/{plan['id']}/"),
        await other.post(f"/api/class-plans/{plan['id']}/duplicate/"),
        await other.get(f"/api/class-plans/{plan['id']}/summary/"),
        await other.post(f"/api/class-plans/{plan['id']}/sequences/", {"choreography_id": 1}, JSON),
    ):
        assert response.status_code == 404
        assert response.json()["stage"] == "lookup"
    response = await client.post(
        f"/api/class-plans/{plan['id']}/sequences/", {"choreography_id": theirs.pk}, JSON
    )
    assert response.status_code == 404
    assert "saved choreography" in response.json()["error"]
    assert (await other.get("/api/class-plans/")).json()["total"] == 0
    assert await PlanSequence.objects.acount() == 0
    assert (await client.get(f"/api/class-plans/{plan['id']}/")).json()["title"] == "Monday"
    del a


async def test_sequences_are_appended_edited_and_removed(teacher):
    """Sequences are appended at the end; notes and repetitions change; a removed one is gone."""
    client, _, a, b = teacher
    plan, (s1, s2, s3) = await plan_with_three(client, a, b)
    assert [s["position"] for s in (s1, s2, s3)] == [0, 1, 2]
    assert (s1["title"], s1["repetitions"], s1["notes"]) == ("Routine A", 2, "warm up")
    assert s2["duration_seconds"] == 10.5
    url = f"/api/class-plans/{plan['id']}/sequences/{s2['id']}/"
    patched = await client.patch(url, {"repetitions": 3, "notes": "slow"}, JSON)
    assert (patched.json()["repetitions"], patched.json()["notes"]) == (3, "slow")
    assert (await client.patch(url, {"repetitions": 0}, JSON)).status_code == 400
    assert (await client.delete(url)).status_code == 204
    assert (await client.delete(url)).status_code == 404
    detail = (await client.get(f"/api/class-plans/{plan['id']}/")).json()
    assert [s["id"] for s in detail["sequences"]] == [s1["id"], s3["id"]]
    missing = await client.patch(f"/api/class-plans/{plan['id']}/sequences/999999/", {}, JSON)
    assert missing.status_code == 404


async def test_reorder_sets_the_whole_order_atomically(teacher):
    """PUT order rewrites every position; a list that is not exactly the plan's ids is 400 and
    changes nothing."""
    client, _, a, b = teacher
    plan, (s1, s2, s3) = await plan_with_three(client, a, b)
    url = f"/api/class-plans/{plan['id']}/order/"
    response = await client.put(url, {"sequence_ids": [s3["id"], s1["id"], s2["id"]]}, JSON)
    assert response.status_code == 200, response.content
    assert [s["id"] for s in response.json()["items"]] == [s3["id"], s1["id"], s2["id"]]
    assert [s["position"] for s in response.json()["items"]] == [0, 1, 2]
    other = await create(client, title="Other")
    foreign = await add(client, other["id"], a.pk)
    for bad in (
        [s1["id"], s2["id"]],
        [s1["id"], s2["id"], s3["id"], s3["id"]],
        [s1["id"], s2["id"], foreign["id"]],
        [],
    ):
        response = await client.put(url, {"sequence_ids": bad}, JSON)
        assert response.status_code == 400, bad
        assert response.json()["stage"] == "validation"
    rows = [
        (s.pk, s.position)
        async for s in PlanSequence.objects.filter(plan_id=plan["id"]).order_by("position")
    ]
    assert rows == [(s3["id"], 0), (s1["id"], 1), (s2["id"], 2)]


async def test_duplicate_copies_the_plan_and_its_sequences(teacher):
    """The copy is titled " (copy)", keeps every field and the same sequences in order."""
    client, _, a, b = teacher
    plan, sequences = await plan_with_three(client, a, b)
    response = await client.post(f"/api/class-plans/{plan['id']}/duplicate/")
    assert response.status_code == 201
    copy = response.json()
    assert copy["id"] != plan["id"]
    assert copy["title"] == "Monday (copy)"
    assert copy["duration_target_minutes"] == 1
    keep = ("choreography_id", "position", "notes", "repetitions")
    assert [{k: s[k] for k in keep} for s in copy["sequences"]] == [
        {k: s[k] for k in keep} for s in sequences
    ]
    assert {s["id"] for s in copy["sequences"]}.isdisjoint({s["id"] for s in sequences})


async def test_summary_numbers(teacher):
    """Total time is duration x repetitions summed; moves and difficulties count each move
    danced (x repetitions); the difference from the target is in minutes."""
    client, _, a, b = teacher
    plan, _ = await plan_with_three(client, a, b)  # A x2, B x1, A x1
    response = await client.get(f"/api/class-plans/{plan['id']}/summary/")
    assert response.status_code == 200
    body = response.json()
    # 12.0 * 2 + 10.5 * 1 + 12.0 * 1 = 46.5 s = 0.775 min; target 1 min
    assert body["total_seconds"] == 46.5
    assert body["total_minutes"] == pytest.approx(0.775, abs=0.006)
    assert body["target_difference_minutes"] == pytest.approx(-0.225, abs=0.006)
    assert body["sequences"] == 3
    # A: basic 2, turn 1, dip 1 (x3 in all); B: turn 1, wave 1
    assert body["moves"] == [
        {"name": "basic", "count": 6},
        {"name": "dip", "count": 3},
        {"name": "turn", "count": 4},
        {"name": "wave", "count": 1},
    ]
    assert body["difficulty"] == {"advanced": 3, "beginner": 7, "intermediate": 4}


async def test_stats_count_plans_sequences_and_top_moves(teacher):
    """Stats count the caller's plans and sequences and rank moves across all their plans."""
    client, _, a, b = teacher
    await plan_with_three(client, a, b)
    second = await create(client, title="Second")
    await add(client, second["id"], b.pk, repetitions=4)
    await create(client, title="Empty")
    other, other_user = await make_user("other", instructor=True)
    other_plan = await create(other)
    await add(other, other_plan["id"], (await saved(other_user, TIMELINE_A, 1.0)).pk)
    response = await client.get("/api/class-plans/stats/")
    assert response.status_code == 200
    assert response.json() == {
        "plans": 3,
        "sequences": 4,
        # basic 6; turn 4 + 4; wave 1 + 4; dip 3
        "top_moves": [
            {"name": "turn", "count": 8},
            {"name": "basic", "count": 6},
            {"name": "wave", "count": 5},
            {"name": "dip", "count": 3},
        ],
    }


async def test_a_plan_delete_keeps_the_saved_choreographies(teacher):
    """Deleting a plan removes its sequences, never the saved choreographies they use."""
    client, _, a, b = teacher
    plan, _ = await plan_with_three(client, a, b)
    assert (await client.delete(f"/api/class-plans/{plan['id']}/")).status_code == 204
    assert await PlanSequence.objects.acount() == 0
    assert await SavedChoreography.objects.acount() == 2


async def test_a_choreography_in_a_plan_cannot_be_deleted_from_the_collection(teacher):
    """Deleting a saved choreography a plan uses is 409 naming the plan; nothing is deleted."""
    client, _, a, b = teacher
    plan, _ = await plan_with_three(client, a, b)
    refused = await client.delete(f"/api/collections/{a.pk}/")
    assert refused.status_code == 409, refused.content
    assert plan["title"] in refused.json()["details"]
    assert await SavedChoreography.objects.acount() == 2
    assert await PlanSequence.objects.acount() == 3


async def session_client(user) -> AsyncClient:
    client = AsyncClient()
    await client.aforce_login(user)
    return client


async def test_print_page_shows_each_move_with_its_count(teacher):
    """The printable page lists sequences in order with repetitions, notes and the 8-count
    each move starts on (intro before the first beat), with a print stylesheet."""
    client, user, a, b = teacher
    plan, _ = await plan_with_three(client, a, b)
    browser = await session_client(user)
    response = await browser.get(f"/class-plans/{plan['id']}/print/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<link rel="stylesheet" href="/static/choreography/print.css">' in html
    assert "@media print" in (STATIC / "print.css").read_text()
    assert "Monday" in html and "warm up" in html and "repetitions: 2" in html
    assert html.index("Routine A") < html.index("Routine B")
    counts = [c.strip() for c in html.split('class="count">')[1:]]
    assert [c.split("<", 1)[0] for c in counts[:4]] == ["intro", "1", "2", "3"]


async def test_plan_pages_are_for_the_instructor_who_owns_the_plan(teacher):
    """Anonymous visitors are sent to log in, dancers get 403, another instructor 404; the list
    page and the link from / are for instructors only."""
    client, user, _, _ = teacher
    plan = await create(client)
    url = f"/class-plans/{plan['id']}/print/"
    anonymous = await AsyncClient().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    _, dancer = await make_user("dancer", instructor=False)
    dancer_client = await session_client(dancer)
    assert (await dancer_client.get(url)).status_code == 403
    assert (await dancer_client.get("/class-plans/")).status_code == 403
    assert 'href="/class-plans/"' not in (await dancer_client.get("/")).content.decode()
    _, other = await make_user("other", instructor=True)
    assert (await (await session_client(other)).get(url)).status_code == 404
    mine = await session_client(user)
    listing = await mine.get("/class-plans/")
    assert listing.status_code == 200 and "Monday" in listing.content.decode()
    # Served disabled until class_plans.js handles the forms (a click before would submit them
    # as a page load and lose what was typed); the script enables the ones marked for it.
    assert '<button type="submit" disabled data-ready-with-script>Create</button>' in (
        listing.content.decode()
    )
    assert 'href="/class-plans/"' in (await mine.get("/")).content.decode()


async def test_staff_mark_instructors_in_the_admin(teacher):
    """The admin's profile list edits is_instructor in place, and the user page shows it."""
    _, dancer = await make_user("dancer", instructor=False)
    staff = await get_user_model().objects.acreate(
        username="boss", is_staff=True, is_superuser=True
    )
    client = await session_client(staff)
    listing = await client.get("/admin/accounts/profile/")
    assert listing.status_code == 200 and "is_instructor" in listing.content.decode()
    assert (await client.get(f"/admin/auth/user/{dancer.pk}/change/")).status_code == 200
    assert "instructor" in (await client.get("/admin/auth/user/")).content.decode()
