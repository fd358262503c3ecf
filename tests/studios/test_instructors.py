"""Becoming an instructor without the admin: the request, its state, staff approval or refusal
(API and admin actions), and CHOREO_OPEN_INSTRUCTORS."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from choreography.accounts.models import Profile
from choreography.classplans.services import is_instructor
from choreography.studios.models import InstructorRequest, Studio
from tests.studios.conftest import person

pytestmark = pytest.mark.django_db(transaction=True)

JSON = "application/json"


async def ask(client, **body):
    return await client.post("/api/instructor-requests/", body, content_type=JSON)


async def test_a_request_waits_for_staff_then_approval_makes_an_instructor_with_a_studio():
    """201 pending; /mine/ says pending; staff approve from the API: is_instructor, a studio."""
    dancer, staff = await person("dancer"), await person("boss", staff=True)
    response = await ask(dancer.client, studio_name="Salsa Sur", about="Thursdays")
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["status"] == "pending" and made["studio_name"] == "Salsa Sur"
    state = (await dancer.client.get("/api/instructor-requests/mine/")).json()
    assert state["status"] == "pending" and state["studio_id"] is None
    assert not await is_instructor(dancer.user)

    approved = await staff.client.post(f"/api/instructor-requests/{made['id']}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert await is_instructor(dancer.user)
    studio = await Studio.objects.aget(instructor=dancer.user)
    assert (studio.name, studio.about) == ("Salsa Sur", "Thursdays")
    state = (await dancer.client.get("/api/instructor-requests/mine/")).json()
    assert state["status"] == "approved" and state["studio_id"] == studio.pk
    mine = (await dancer.client.get("/api/studios/mine/")).json()
    assert [(s["id"], s["role"]) for s in mine] == [(studio.pk, "instructor")]


async def test_staff_refuse_and_the_dancer_may_ask_again():
    """A refused request leaves no studio and no flag; a new request is accepted."""
    dancer, staff = await person("dancer"), await person("boss", staff=True)
    made = (await ask(dancer.client, studio_name="One")).json()
    refused = await staff.client.post(f"/api/instructor-requests/{made['id']}/refuse/")
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert not await is_instructor(dancer.user)
    assert not await Studio.objects.filter(instructor=dancer.user).aexists()
    assert (await dancer.client.get("/api/instructor-requests/mine/")).json()["status"] == "refused"
    assert (await ask(dancer.client, studio_name="Two")).status_code == 201
    again = await staff.client.post(f"/api/instructor-requests/{made['id']}/approve/")
    assert again.status_code == 400 and "already refused" in again.json()["error"]


async def test_only_staff_decide_and_a_second_pending_request_is_refused():
    """A dancer cannot approve their own request (403); two pending requests: 400 sentence."""
    dancer = await person("dancer")
    made = (await ask(dancer.client, studio_name="Mine")).json()
    response = await dancer.client.post(f"/api/instructor-requests/{made['id']}/approve/")
    assert response.status_code == 403
    assert set(response.json()) == {"error", "details", "stage"}
    second = await ask(dancer.client, studio_name="Again")
    assert second.status_code == 400
    assert second.json()["error"] == "you already asked to become an instructor"
    missing = await (await person("boss", staff=True)).client.post(
        "/api/instructor-requests/999999/approve/"
    )
    assert missing.status_code == 404


async def test_open_instructors_approves_at_once(settings):
    """CHOREO_OPEN_INSTRUCTORS=1: 201 approved, the studio exists; asking again is refused."""
    settings.CHOREO = settings.CHOREO.model_copy(update={"open_instructors": True})
    dancer = await person("dancer")
    response = await ask(dancer.client, studio_name="Open Door")
    assert response.status_code == 201 and response.json()["status"] == "approved"
    assert await is_instructor(dancer.user)
    assert await Studio.objects.filter(instructor=dancer.user, name="Open Door").aexists()
    again = await ask(dancer.client, studio_name="Second")
    assert again.status_code == 400 and "already an instructor" in again.json()["error"]


async def test_the_admin_approves_and_refuses_with_actions():
    """The admin's changelist actions decide pending requests (and leave decided ones be)."""
    one, two = await person("one"), await person("two")
    staff = await person("boss", staff=True)
    staff.user.is_superuser = True
    await staff.user.asave(update_fields=["is_superuser"])
    a = (await ask(one.client, studio_name="A")).json()["id"]
    b = (await ask(two.client, studio_name="B")).json()["id"]

    @sync_to_async
    def act(action: str, ids: list[int]):
        browser = Client()
        browser.force_login(staff.user)
        return browser.post(
            "/admin/studios/instructorrequest/",
            {"action": action, "_selected_action": [str(i) for i in ids]},
        )

    assert (await act("approve", [a])).status_code == 302
    assert (await act("refuse", [b])).status_code == 302
    assert (await InstructorRequest.objects.aget(pk=a)).status == "approved"
    assert (await InstructorRequest.objects.aget(pk=b)).status == "refused"
    assert (await Profile.objects.aget(user=one.user)).is_instructor
    assert await Studio.objects.filter(instructor=one.user).aexists()
    assert not await Studio.objects.filter(instructor=two.user).aexists()
