"""A dancer's profile: the name shown and the generation defaults they chose."""

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
