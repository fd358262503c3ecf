"""Studio pages (the HTTP edge, session only): the account page's "Become an instructor" form,
the studio page (name, invite, students, moves) and the invite link that joins a studio.

Plain forms, no script: each POST calls a use case of choreography.studios.services and
redirects. Anonymous visitors are sent to log in (and back); a studio the visitor neither
teaches nor joined is a 404, as over the API.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from assembly import ChoreoError
from choreography.errors import NotFoundError
from choreography.studios import services
from choreography.studios.api import invite_url, move_out

ACCOUNT_SECTION = "/accounts/#instructor"


class InstructorRequestForm(forms.Form):
    studio_name = forms.CharField(max_length=100, label="Name of your studio")
    about = forms.CharField(
        max_length=300,
        required=False,
        label="A line about it",
        help_text="Where and what you teach.",
    )


async def account_section(user) -> dict:
    """What the account page's "Become an instructor" section shows."""
    views = await services.my_studios(user=user)
    return {
        "request": await services.latest_request(user=user),
        "taught": next((v.studio for v in views if v.role == "instructor"), None),
        "joined": [v.studio for v in views if v.role == "student"],
        "form": InstructorRequestForm(prefix="instructor"),
    }


async def _user(request: HttpRequest):
    """The signed-in user, also set as ``request.user`` so templates never query the database."""
    request.user = await request.auser()
    return request.user


def _sentence(exc: ChoreoError) -> str:
    return f"{exc.message[:1].upper()}{exc.message[1:]}." + (
        f" {exc.details[:1].upper()}{exc.details[1:]}."
        if isinstance(exc.details, str) and exc.details
        else ""
    )


@login_required
@require_POST
async def ask(request: HttpRequest) -> HttpResponse:
    user = await _user(request)
    form = InstructorRequestForm(request.POST, prefix="instructor")
    if not form.is_valid():
        messages.error(request, "Give your studio a name (at most 100 characters).")
        return HttpResponseRedirect(ACCOUNT_SECTION)
    try:
        made = await services.request_instructor(user=user, **form.cleaned_data)
    except ChoreoError as exc:
        messages.error(request, _sentence(exc))
    else:
        if made.status == "approved":
            messages.success(request, f"You are an instructor: {made.studio_name} is open.")
        else:
            messages.success(request, "Your request is sent; staff will approve it soon.")
    return HttpResponseRedirect(ACCOUNT_SECTION)


async def _studio_page(
    request: HttpRequest, studio_id: int, *, new_invite: str = ""
) -> HttpResponse:
    user = await _user(request)
    try:
        view = await services.get_studio(user=user, studio_id=studio_id)
    except NotFoundError:
        raise Http404("no such studio") from None
    teaching = view.role == "instructor"
    moves = [
        move_out(request, m) for m in await services.list_moves(user=user, studio_id=studio_id)
    ]
    context = {
        "studio": view.studio,
        "role": view.role,
        "teaching": teaching,
        "students": await services.students(user=user, studio_id=studio_id) if teaching else [],
        "student_count": view.students,
        "moves": moves,
        "invite_active": bool(view.studio.invite_hash),
        "new_invite": new_invite,
        "new_invite_url": invite_url(new_invite) if new_invite else "",
    }
    return render(request, "studios/studio.html", context)


@login_required
@require_GET
async def studio(request: HttpRequest, studio_id: int) -> HttpResponse:
    return await _studio_page(request, studio_id)


async def _instructor_action(request: HttpRequest, studio_id: int, action) -> HttpResponse | None:
    """Run ``action``; a studio the user cannot see is 404, a student's attempt a message."""
    try:
        await action(await _user(request))
    except NotFoundError:
        raise Http404("no such studio") from None
    except ChoreoError as exc:
        messages.error(request, _sentence(exc))
        return HttpResponseRedirect(f"/studios/{studio_id}/")
    return None


@login_required
@require_POST
async def renew_invite(request: HttpRequest, studio_id: int) -> HttpResponse:
    """A new link, shown on the page this once (only its hash is kept)."""
    codes: list[str] = []

    async def renew(user) -> None:
        codes.append(await services.renew_invite(user=user, studio_id=studio_id))

    if refused := await _instructor_action(request, studio_id, renew):
        return refused
    return await _studio_page(request, studio_id, new_invite=codes[0])


@login_required
@require_POST
async def revoke_invite(request: HttpRequest, studio_id: int) -> HttpResponse:
    async def revoke(user) -> None:
        await services.revoke_invite(user=user, studio_id=studio_id)

    if refused := await _instructor_action(request, studio_id, revoke):
        return refused
    messages.success(request, "The invite link is revoked: no link joins until you make a new one.")
    return HttpResponseRedirect(f"/studios/{studio_id}/")


@login_required
@require_POST
async def remove_student(request: HttpRequest, studio_id: int, user_id: int) -> HttpResponse:
    async def remove(user) -> None:
        await services.remove_student(user=user, studio_id=studio_id, student_id=user_id)

    if refused := await _instructor_action(request, studio_id, remove):
        return refused
    messages.success(request, "The student is removed from the studio.")
    return HttpResponseRedirect(f"/studios/{studio_id}/")


@login_required
@require_GET
async def join(request: HttpRequest, code: str) -> HttpResponse:
    """The invite link: joins (signed in; else log in first and come back) and goes to the studio."""
    try:
        joined = await services.join(user=await _user(request), code=code)
    except NotFoundError as exc:
        return render(request, "studios/join_failed.html", {"sentence": _sentence(exc)}, status=404)
    messages.success(request, f"Welcome to {joined.name}.")
    return HttpResponseRedirect(f"/studios/{joined.pk}/")


async def become_instructor_refusal(request: HttpRequest) -> HttpResponse:
    """What a dancer who is not an instructor sees instead of class plans (403): how to become one."""
    await _user(request)
    return render(request, "studios/not_instructor.html", status=403)
