"""A dancer's profile (the name shown and the generation defaults they chose) and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=100, blank=True)
    preferences = models.JSONField(
        default=dict, blank=True, help_text="difficulty, energy_level, style, auto_save"
    )
    is_instructor = models.BooleanField(
        default=False, help_text="May build class plans (set by staff)"
    )

    def __str__(self) -> str:
        return self.display_name or str(self.user)


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak reveals no token."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to tell tokens apart")
    name = models.CharField(max_length=100, blank=True, help_text="What the owner calls it")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Refused after; never if empty"
    )
    last_used_at = models.DateTimeField(
        null=True, blank=True, help_text="Recorded at most once a minute"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "choreography_apitoken"  # its table from before it moved to this app

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
