"""An instructor's class plan: an ordered list of saved choreographies, each with its notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from choreography.collections.models import SavedChoreography


class ClassPlan(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    level = models.CharField(max_length=20, blank=True)
    date = models.DateField(null=True, blank=True)
    duration_target_minutes = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class PlanSequence(models.Model):
    """One step of a plan: a saved choreography, repeated, with the instructor's notes."""

    plan = models.ForeignKey(ClassPlan, on_delete=models.CASCADE, related_name="sequences")
    choreography = models.ForeignKey(SavedChoreography, on_delete=models.PROTECT)
    position = models.PositiveIntegerField()
    notes = models.TextField(blank=True)
    repetitions = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "position"],
                name="one_sequence_per_position",
            )
        ]
