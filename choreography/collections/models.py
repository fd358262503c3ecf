"""A saved choreography: one completed generation a dancer keeps, names and may share."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from choreography.models import ChoreographyTask


class SavedChoreography(models.Model):
    """A completed generation kept by its owner (never pruned), with a title, notes and tags."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    task = models.OneToOneField(ChoreographyTask, on_delete=models.CASCADE, related_name="saved")
    title = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    share_token = models.CharField(
        max_length=64, blank=True, help_text="Unguessable token of the public link; empty: private"
    )
    share_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["share_token"],
                condition=~models.Q(share_token=""),
                name="unique_share_token",
            )
        ]

    def __str__(self) -> str:
        return self.title
