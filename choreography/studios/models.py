"""Instructor requests, studios, their students, and the studio's own moves.

A studio move is the studio's record of one filmed move: its labels, the cut (start on count 1
and a length in whole 8-counts), its tempo and where it stands (analysing, ready, failed). Once
its canonical clip exists the move points at it: a library ``Move`` row like any public move's
(clip, elementary stream, poster, tempo variants), so generation plans and joins it the same
way. A clip that belongs to a studio move is not in the public library.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from choreography.models import Difficulty, EnergyLevel, Move, MoveRole, Style


class RequestStatus(models.TextChoices):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class InstructorRequest(models.Model):
    """A user asking to become an instructor, with the studio they would open."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="instructor_requests"
    )
    studio_name = models.CharField(max_length=100)
    about = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who approved or refused it (empty: open instructors)",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="one_pending_request_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.studio_name} ({self.user}, {self.status})"


class Studio(models.Model):
    """One instructor's studio: its name, its students and its move library."""

    instructor = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="studio"
    )
    name = models.CharField(max_length=100)
    about = models.CharField(max_length=300, blank=True)
    invite_hash = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text="SHA-256 of the current invite code; empty: no invite works",
    )
    invite_created_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A student of a studio."""

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="studio_memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "user"], name="one_membership_per_student")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.studio}"


class StudioMoveStatus(models.TextChoices):
    ANALYSING = "analysing"
    UPLOADED = "uploaded"
    """Analysed: the proposed cut waits for the instructor to save it."""
    CUTTING = "cutting"
    """The saved cut is being made into its canonical clip (in the background)."""
    READY = "ready"
    FAILED = "failed"


class StudioMove(models.Model):
    """A move of a studio's library; usable by generate once ``clip`` is set and it is ready."""

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="moves")
    clip = models.OneToOneField(
        Move,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="studio_move",
        help_text="Its canonical clip (a library move row); empty until normalized",
    )
    label = models.CharField(max_length=100)
    difficulty = models.CharField(
        max_length=20, choices=Difficulty.choices, default=Difficulty.BEGINNER
    )
    energy_level = models.CharField(
        max_length=10, choices=EnergyLevel.choices, default=EnergyLevel.MEDIUM
    )
    style = models.CharField(max_length=20, choices=Style.choices, default=Style.ROMANTIC)
    role = models.CharField(max_length=10, choices=MoveRole.choices, default=MoveRole.MOVE)
    start_seconds = models.FloatField(default=0.0, help_text="Where count 1 is in the upload")
    counts = models.PositiveSmallIntegerField(default=1, help_text="Length in whole 8-counts")
    tempo_bpm = models.FloatField(null=True, blank=True, help_text="Detected or typed tempo")
    status = models.CharField(
        max_length=10, choices=StudioMoveStatus.choices, default=StudioMoveStatus.ANALYSING
    )
    content_hash = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text="Of the uploaded file: its analysis and original are kept under it",
    )
    original_bytes = models.BigIntegerField(default=0, help_text="Of the kept original")
    clip_bytes = models.BigIntegerField(default=0, help_text="Of its canonical clip, once made")
    failure = models.CharField(
        max_length=500, blank=True, help_text="Why the last cut failed (status failed)"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["studio", "status"], name="studio_move_status_idx")]

    def __str__(self) -> str:
        return f"{self.label} ({self.studio})"
