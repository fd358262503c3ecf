"""The library (songs, moves), the generation record, and API tokens."""

from __future__ import annotations

import enum
import unicodedata
import uuid

from django.conf import settings
from django.db import models

from choreography.music import vocabulary


def _choices(name: str, words: type[enum.StrEnum]) -> type[models.TextChoices]:
    """Django choices with the values of a vocabulary enum (choreography.music.vocabulary)."""
    return models.TextChoices(name, [(word.name, word.value) for word in words])


Difficulty = _choices("Difficulty", vocabulary.Difficulty)
EnergyLevel = _choices("EnergyLevel", vocabulary.EnergyLevel)
Style = _choices("Style", vocabulary.Style)
MoveRole = _choices("MoveRole", vocabulary.MoveRole)


def fold(text: str) -> str:
    """Lowercase with accents stripped (NFKD, combining marks dropped): "Obsesión" → "obsesion".

    The catalog search compares folded text with folded text, the same on SQLite and PostgreSQL.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class TempoSource(models.TextChoices):
    METADATA = "metadata"
    DETECTED = "detected"
    DEFAULT = "default"


class Song(models.Model):
    title = models.CharField(max_length=200)
    artist = models.CharField(max_length=200, blank=True)
    audio_key = models.CharField(max_length=500, help_text="Storage key of the canonical AAC file")
    original_key = models.CharField(
        max_length=500, blank=True, help_text="Storage key of the file as imported; empty: not kept"
    )
    duration_seconds = models.FloatField()
    bpm = models.FloatField()
    first_beat_seconds = models.FloatField(default=0.0, help_text="Time of the first downbeat")
    energy_curve = models.JSONField(
        default=list, blank=True, help_text="RMS of each 8-count phrase from the first downbeat"
    )
    analysis = models.JSONField(
        default=dict, blank=True, help_text="How bpm and first beat were obtained, and confidence"
    )
    genre = models.CharField(max_length=50, default="bachata")
    loudness_input_lufs = models.FloatField(
        null=True, blank=True, help_text="Integrated loudness of the source as imported (LUFS)"
    )
    loudness_lufs = models.FloatField(
        null=True, blank=True, help_text="Integrated loudness of the stored file (LUFS)"
    )
    true_peak_dbtp = models.FloatField(
        null=True, blank=True, help_text="True peak of the stored file (dBTP)"
    )
    content_hash = models.CharField(max_length=64, unique=True)
    search_text = models.TextField(
        blank=True, editable=False, help_text="fold(title + artist), kept by save(): the search"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["bpm", "id"], name="song_bpm_idx"),
            models.Index(fields=["duration_seconds", "id"], name="song_duration_idx"),
            models.Index(fields=["created_at", "id"], name="song_created_idx"),
            models.Index(fields=["genre", "id"], name="song_genre_idx"),
            models.Index(fields=["title", "id"], name="song_title_idx"),
            models.Index(fields=["artist", "id"], name="song_artist_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} — {self.artist}" if self.artist else self.title

    @staticmethod
    def search_text_for(title: str, artist: str) -> str:
        return fold(f"{title} {artist}")

    def save(self, *args, **kwargs) -> None:
        self.search_text = self.search_text_for(self.title, self.artist)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"title", "artist"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)


class Move(models.Model):
    name = models.SlugField(max_length=100, unique=True)
    label = models.CharField(max_length=100)
    clip_key = models.CharField(max_length=500, help_text="Storage key of the canonical clip")
    original_key = models.CharField(
        max_length=500, blank=True, help_text="Storage key of the file as imported; empty: not kept"
    )
    clip_format = models.CharField(
        max_length=80,
        blank=True,
        help_text="VideoFormat.label its clip was built in; empty: imported before it was recorded",
    )
    stream_key = models.CharField(
        max_length=500, blank=True, help_text="Storage key of its H.264 elementary stream"
    )
    frame_offsets = models.JSONField(
        default=list, blank=True, help_text="Byte offset of each frame in the stream, then its end"
    )
    poster_key = models.CharField(
        max_length=500, blank=True, help_text="Storage key of its JPEG poster (empty: none)"
    )
    duration_seconds = models.FloatField()
    frames = models.PositiveIntegerField()
    difficulty = models.CharField(max_length=20, choices=Difficulty.choices)
    energy_level = models.CharField(max_length=10, choices=EnergyLevel.choices)
    style = models.CharField(max_length=20, choices=Style.choices)
    tempo_bpm = models.FloatField(default=120.0)
    tempo_source = models.CharField(
        max_length=10, choices=TempoSource.choices, default=TempoSource.DEFAULT
    )
    role = models.CharField(max_length=10, choices=MoveRole.choices, default=MoveRole.MOVE)
    content_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["difficulty", "energy_level", "style"], name="move_combo_idx"),
            models.Index(fields=["energy_level"], name="move_energy_idx"),
            models.Index(fields=["style"], name="move_style_idx"),
            models.Index(fields=["role"], name="move_role_idx"),
        ]

    def __str__(self) -> str:
        return self.label


class MoveVariant(models.Model):
    """A move's clip re-timed to one step of the tempo grid (choreography.music.tempo).

    Stored like the clip's own stream (Annex B H.264 and its frame index), so the assembly
    joins it by copy. One per (move, step): two processes rendering the same variant race on
    that constraint, and the loser deletes the object it uploaded.
    """

    move = models.ForeignKey(Move, on_delete=models.CASCADE, related_name="variants")
    step = models.SmallIntegerField(help_text="Speed-up 1.02 ** step over the clip's own tempo")
    tempo_bpm = models.FloatField(help_text="The tempo the clip plays at in this variant")
    stream_key = models.CharField(max_length=500, help_text="Storage key of its H.264 stream")
    frame_offsets = models.JSONField(
        default=list, help_text="Byte offset of each frame in the stream, then its end"
    )
    frames = models.PositiveIntegerField()
    render_seconds = models.FloatField(default=0.0, help_text="Time the encode took")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["move", "step"]
        constraints = [
            models.UniqueConstraint(fields=["move", "step"], name="one_variant_per_step"),
        ]

    def __str__(self) -> str:
        return f"{self.move_id} at step {self.step:+d}"


class TaskStatus(models.TextChoices):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class ChoreographyTask(models.Model):
    """One generate request: its parameters, live stage/progress, and its outcome."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    song = models.ForeignKey(Song, on_delete=models.SET_NULL, null=True)
    parameters = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.RUNNING)
    stage = models.CharField(max_length=30, default="planning")
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="blueprint, video_key, timings")
    error = models.TextField(blank=True)
    error_details = models.TextField(blank=True)
    owner = models.CharField(
        max_length=100, blank=True, help_text="Instance id of the server process running it"
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Lease: renewed by the owner while it runs"
    )
    idempotency_key = models.CharField(
        max_length=200, blank=True, help_text="Idempotency-Key of the request that made it"
    )
    reserved_bytes = models.PositiveBigIntegerField(
        default=0,
        help_text="Estimated video size held against the user's quota while it runs",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "status", "-created_at"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="one_task_per_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.status} {self.stage} {self.progress}%)"


class WorkLease(models.Model):
    """Who may do a piece of periodic work (e.g. pruning) until when: one holder at a time
    across every serving process sharing the database (choreography.generation.pruning)."""

    name = models.CharField(max_length=50, primary_key=True)
    owner = models.CharField(max_length=100, help_text="Instance id of the holding process")
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.owner} until {self.expires_at:%Y-%m-%d %H:%M:%S}"
