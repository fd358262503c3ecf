"""Staff approve or refuse instructor requests (changelist actions); studios with students."""

from __future__ import annotations

from django.contrib import admin, messages

from assembly import ChoreoError
from choreography.studios.models import InstructorRequest, Membership, Studio, StudioMove
from choreography.studios.services import decide


def _decide_selected(modeladmin, request, queryset, *, approve: bool) -> None:
    done, skipped = 0, []
    for found in queryset:
        try:
            decide(found.pk, approve=approve, staff=request.user)
            done += 1
        except ChoreoError as exc:
            skipped.append(exc.message)
    verb = "approved" if approve else "refused"
    modeladmin.message_user(request, f"{done} request{'s' if done != 1 else ''} {verb}.")
    for message in skipped:
        modeladmin.message_user(request, message, level=messages.WARNING)


@admin.action(description="Approve: make instructors and open their studios")
def approve(modeladmin, request, queryset) -> None:
    _decide_selected(modeladmin, request, queryset, approve=True)


@admin.action(description="Refuse")
def refuse(modeladmin, request, queryset) -> None:
    _decide_selected(modeladmin, request, queryset, approve=False)


@admin.register(InstructorRequest)
class InstructorRequestAdmin(admin.ModelAdmin):
    list_display = ("studio_name", "user", "status", "created_at", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("studio_name", "user__username")
    readonly_fields = ("status", "decided_by", "decided_at", "created_at")
    actions = (approve, refuse)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Studio)
class StudioAdmin(admin.ModelAdmin):
    list_display = ("name", "instructor", "created_at")
    search_fields = ("name", "instructor__username")
    exclude = ("invite_hash",)
    readonly_fields = ("invite_created_at",)
    inlines = (MembershipInline,)


@admin.register(StudioMove)
class StudioMoveAdmin(admin.ModelAdmin):
    list_display = ("label", "studio", "status", "difficulty", "counts", "tempo_bpm")
    list_filter = ("status", "studio")
    raw_id_fields = ("clip",)
