"""Admin: each user with their profile and tokens inline, and how many generations they ran."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count

from choreography.accounts.models import Profile
from choreography.models import ApiToken

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ("display_name", "preferences")


class ApiTokenInline(admin.TabularInline):
    """Tokens are only seen and revoked here: their value is never stored."""

    model = ApiToken
    extra = 0
    can_delete = False
    fields = ("prefix", "name", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = ("prefix", "name", "created_at", "last_used_at", "expires_at")
    ordering = ("-created_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


admin.site.unregister(User)


@admin.register(User)
class ChoreoUserAdmin(UserAdmin):
    inlines = (ProfileInline, ApiTokenInline)
    list_display = (*UserAdmin.list_display, "generations", "last_login")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(generation_count=Count("choreographytask"))

    @admin.display(description="generations", ordering="generation_count")
    def generations(self, user) -> int:
        return user.generation_count
