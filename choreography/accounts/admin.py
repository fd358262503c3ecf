"""Admin: each user with their profile and tokens inline, and how many generations they ran;
an e-mail address another account has is refused; every API token in one list."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db.models import Count

from choreography.accounts import emails
from choreography.accounts.models import ApiToken, Profile

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ("display_name", "is_instructor", "preferences")


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


class ChoreoUserChangeForm(UserChangeForm):
    """Staff may set any address except one another account has (emails.email_in_use)."""

    def clean_email(self) -> str:
        email = emails.normalize(self.cleaned_data.get("email", ""))
        if emails.email_in_use(email, exclude_pk=self.instance.pk):
            raise forms.ValidationError("Another account already has this e-mail address.")
        return email


@admin.register(User)
class ChoreoUserAdmin(UserAdmin):
    form = ChoreoUserChangeForm
    inlines = (ProfileInline, ApiTokenInline)
    list_display = (*UserAdmin.list_display, "instructor", "generations", "last_login")
    list_filter = (*UserAdmin.list_filter, "profile__is_instructor")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("profile")
            .annotate(generation_count=Count("choreographytask"))
        )

    @admin.display(description="instructor", boolean=True, ordering="profile__is_instructor")
    def instructor(self, user) -> bool:
        profile = getattr(user, "profile", None)
        return bool(profile and profile.is_instructor)

    @admin.display(description="generations", ordering="generation_count")
    def generations(self, user) -> int:
        return user.generation_count


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    """Staff mark instructors here at a glance (list_editable), or on the user's page."""

    list_display = ("user", "display_name", "is_instructor")
    list_editable = ("is_instructor",)
    list_filter = ("is_instructor",)
    search_fields = ("user__username", "display_name")
    fields = ("user", "display_name", "is_instructor", "preferences")
    readonly_fields = ("user",)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "name",
        "user",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__username")
    readonly_fields = ("prefix", "token_hash", "created_at", "last_used_at")
