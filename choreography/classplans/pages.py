"""Instructor pages: the class plans list (create, reorder, duplicate, delete) and a printable plan.

Session only; anonymous visitors are sent to log in, dancers who are not instructors get 403,
another instructor's plan is 404. The list page works through /api/class-plans/ in plain JS.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from choreography.api.pages import visitor
from choreography.classplans import services
from choreography.errors import NotFoundError, PermissionDeniedError
from choreography.studios.pages import become_instructor_refusal


@login_required
@require_GET
@ensure_csrf_cookie
async def plans(request: HttpRequest) -> HttpResponse:
    user = await visitor(request)
    if not await services.is_instructor(user):
        return await become_instructor_refusal(request)
    rows, total = await services.list_plans(user, page=1, page_size=100)
    choreographies = await services.own_choreographies(user)
    return render(
        request,
        "choreography/class_plans.html",
        {"plans": rows, "total": total, "choreographies": choreographies},
    )


@login_required
@require_GET
async def print_plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = await visitor(request)
    try:
        plan, sequences = await services.get_plan(user, plan_id)
    except PermissionDeniedError:
        return await become_instructor_refusal(request)
    except NotFoundError:
        raise Http404("no such class plan") from None
    summary = services.summarize(sequences)
    return render(
        request,
        "choreography/class_plan_print.html",
        {
            "plan": plan,
            "rows": services.printable(sequences),
            "total_minutes": round(summary.total_seconds / 60, 1),
        },
    )
