"""People for the studio tests: two instructors with a studio and a student each, an outsider."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model

from choreography.accounts.tokens import issue_token
from choreography.studios import services
from choreography.studios.models import Studio
from tests.clients import TokenClient


@dataclass(eq=False)
class Person:
    user: object
    client: TokenClient


async def person(username: str, *, staff: bool = False) -> Person:
    token = await issue_token(username)
    user = await get_user_model().objects.aget(username=username)
    if staff:
        user.is_staff = True
        await user.asave(update_fields=["is_staff"])
    return Person(user, TokenClient(token))


async def open_studio(instructor: Person, name: str) -> Studio:
    """Through the real use cases: a request, approved by staff."""
    staff = await get_user_model().objects.filter(is_staff=True).afirst()
    if staff is None:
        staff = (await person("staff-approver", staff=True)).user
    asked = await services.request_instructor(user=instructor.user, studio_name=name)
    await services.approve_request(staff=staff, request_id=asked.pk)
    return await Studio.objects.aget(instructor=instructor.user)


@dataclass
class TwoStudios:
    teacher_a: Person
    student_a: Person
    studio_a: Studio
    teacher_b: Person
    student_b: Person
    studio_b: Studio
    outsider: Person


@pytest.fixture
async def studios(transactional_db) -> TwoStudios:
    teacher_a, teacher_b = await person("teacher-a"), await person("teacher-b")
    student_a, student_b = await person("student-a"), await person("student-b")
    outsider = await person("outsider")
    studio_a = await open_studio(teacher_a, "Studio A")
    studio_b = await open_studio(teacher_b, "Studio B")
    for teacher, student, studio in (
        (teacher_a, student_a, studio_a),
        (teacher_b, student_b, studio_b),
    ):
        code = await services.renew_invite(user=teacher.user, studio_id=studio.pk)
        await services.join(user=student.user, code=code)
    return TwoStudios(teacher_a, student_a, studio_a, teacher_b, student_b, studio_b, outsider)
