"""The studio pages in-process: the account page's "Become an instructor" section and its
states, the class plans refusal that points to it, the studio page, and the invite link."""

from __future__ import annotations

import pytest
from django.test import AsyncClient

from choreography.studios import services
from choreography.studios.models import InstructorRequest, Membership, Studio, StudioMove
from tests.studios.conftest import person

pytestmark = pytest.mark.django_db(transaction=True)


class Browser(AsyncClient):
    """Sends ``Accept: text/html`` like a browser, so error pages stay HTML (other clients get
    JSON from choreography.api.json_errors)."""

    def generic(self, *args, headers=None, **kwargs):
        return super().generic(*args, headers={"Accept": "text/html", **(headers or {})}, **kwargs)


async def signed_in(user) -> AsyncClient:
    client = Browser()
    await client.aforce_login(user)
    return client


async def test_the_account_section_asks_and_shows_the_request_state():
    """Form on the account page; after asking it says "waiting"; refused, it offers the form again."""
    dancer = await person("dancer")
    browser = await signed_in(dancer.user)
    page = (await browser.get("/accounts/")).content.decode()
    assert 'id="instructor"' in page and 'action="/studios/instructor-request/"' in page
    sent = await browser.post(
        "/studios/instructor-request/",
        {"instructor-studio_name": "Bachata Norte", "instructor-about": "Fridays"},
    )
    assert sent.status_code == 302 and sent["Location"] == "/accounts/#instructor"
    page = (await browser.get("/accounts/")).content.decode()
    assert 'data-state="pending"' in page and "Bachata Norte" in page
    assert 'id="instructor-form"' not in page
    await InstructorRequest.objects.filter(user=dancer.user).aupdate(status="refused")
    page = (await browser.get("/accounts/")).content.decode()
    assert 'data-state="refused"' in page and 'id="instructor-form"' in page


async def test_with_open_instructors_the_account_page_links_the_new_studio(settings):
    """CHOREO_OPEN_INSTRUCTORS=1: asking opens the studio; the section links to it."""
    settings.CHOREO = settings.CHOREO.model_copy(update={"open_instructors": True})
    dancer = await person("dancer")
    browser = await signed_in(dancer.user)
    await browser.post("/studios/instructor-request/", {"instructor-studio_name": "Casa"})
    studio = await Studio.objects.aget(instructor=dancer.user)
    page = (await browser.get("/accounts/")).content.decode()
    assert f'href="/studios/{studio.pk}/"' in page and "You teach at" in page


async def test_the_class_plans_refusal_says_how_to_become_an_instructor():
    """A dancer on /class-plans/ gets 403 with a link to the account section."""
    dancer = await person("dancer")
    response = await (await signed_in(dancer.user)).get("/class-plans/")
    assert response.status_code == 403
    assert 'href="/accounts/#instructor"' in response.content.decode()


async def test_the_studio_page_for_its_instructor_its_student_and_strangers(studios):
    """The instructor sees invite and students with Remove; the student sees the moves only;
    strangers get 404."""
    a = studios
    await StudioMove.objects.acreate(studio=a.studio_a, label="Cross body lead", counts=2)
    teacher = (
        await (await signed_in(a.teacher_a.user)).get(f"/studios/{a.studio_a.pk}/")
    ).content.decode()
    assert "Studio A" in teacher and "Cross body lead" in teacher and "2 8-counts" in teacher
    assert "Renew the invite link" in teacher and "Remove student-a" in teacher
    student = await (await signed_in(a.student_a.user)).get(f"/studios/{a.studio_a.pk}/")
    html = student.content.decode()
    assert student.status_code == 200 and "Cross body lead" in html
    assert "invite" not in html.lower() and "student-a" not in html.replace(
        "Account (student-a)", ""
    )
    for stranger in (a.outsider, a.teacher_b, a.student_b):
        assert (
            await (await signed_in(stranger.user)).get(f"/studios/{a.studio_a.pk}/")
        ).status_code == 404
    anonymous = await AsyncClient().get(f"/studios/{a.studio_a.pk}/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


async def test_renew_revoke_and_remove_from_the_page(studios):
    """Renew shows the link once; revoke stops it; Remove takes the student out. A student
    posting the instructor's forms changes nothing."""
    a = studios
    teacher = await signed_in(a.teacher_a.user)
    renewed = (await teacher.post(f"/studios/{a.studio_a.pk}/invite/")).content.decode()
    assert "http://testserver/studios/join/" in renewed and 'id="invite-code"' in renewed
    student = await signed_in(a.student_a.user)
    before = (await Studio.objects.aget(pk=a.studio_a.pk)).invite_hash
    refused = await student.post(f"/studios/{a.studio_a.pk}/invite/revoke/")
    assert refused.status_code == 302
    assert (await Studio.objects.aget(pk=a.studio_a.pk)).invite_hash == before
    stranger = await signed_in(a.outsider.user)
    assert (await stranger.post(f"/studios/{a.studio_a.pk}/invite/")).status_code == 404
    assert (await teacher.post(f"/studios/{a.studio_a.pk}/invite/revoke/")).status_code == 302
    assert (await Studio.objects.aget(pk=a.studio_a.pk)).invite_hash == ""
    remove = f"/studios/{a.studio_a.pk}/students/{a.student_a.user.pk}/remove/"
    assert (await teacher.post(remove)).status_code == 302
    assert not await Membership.objects.filter(user=a.student_a.user).aexists()


async def test_the_invite_link_joins_signed_in_and_after_signing_in(studios):
    """Signed in: the link joins and redirects to the studio page. Signed out: to the login
    page with next= the link; after logging in the link joins. A stale link: 404 sentence."""
    a = studios
    code = await services.renew_invite(user=a.teacher_a.user, studio_id=a.studio_a.pk)
    link = f"/studios/join/{code}/"
    newcomer = await person("newcomer")
    joined = await (await signed_in(newcomer.user)).get(link)
    assert joined.status_code == 302 and joined["Location"] == f"/studios/{a.studio_a.pk}/"
    assert await Membership.objects.filter(studio=a.studio_a, user=newcomer.user).aexists()

    visitor = Browser()
    bounce = await visitor.get(link)
    assert bounce.status_code == 302 and bounce["Location"] == f"/accounts/login/?next={link}"
    late = await person("late")
    late.user.set_password("a long enough password 1")
    await late.user.asave()
    logged = await visitor.post(
        f"/accounts/login/?next={link}",
        {"username": "late", "password": "a long enough password 1"},
    )
    assert logged.status_code == 302 and logged["Location"] == link
    assert (await visitor.get(link))["Location"] == f"/studios/{a.studio_a.pk}/"
    assert await Membership.objects.filter(studio=a.studio_a, user=late.user).aexists()

    stale = await (await signed_in(a.outsider.user)).get("/studios/join/not-a-real-code/")
    assert stale.status_code == 404 and "This invite code does not work" in stale.content.decode()
    assert not await Membership.objects.filter(user=a.outsider.user).aexists()
