"""Admin: the library (with clip previews) and the generation records (read-only outcome)."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from choreography import runtime
from choreography.models import ApiToken, ChoreographyTask, Move, Song


@admin.register(Song)
class SongAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "artist", "bpm", "duration_seconds", "created_at")
    search_fields = ("title", "artist")
    readonly_fields = ("audio_key", "content_hash", "created_at", "preview")

    @admin.display(description="preview")
    def preview(self, song: Song) -> str:
        return format_html('<audio controls preload="none" src="{}"></audio>', _url(song.audio_key))


@admin.register(Move)
class MoveAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "label",
        "difficulty",
        "energy_level",
        "style",
        "tempo_bpm",
        "duration_seconds",
    )
    list_filter = ("difficulty", "energy_level", "style")
    search_fields = ("name", "label")
    readonly_fields = ("clip_key", "stream_key", "frames", "content_hash", "created_at", "preview")
    exclude = ("frame_offsets",)

    @admin.display(description="preview")
    def preview(self, move: Move) -> str:
        return format_html(
            '<video controls muted preload="metadata" width="320" src="{}"></video>',
            _url(move.clip_key),
        )


@admin.register(ChoreographyTask)
class ChoreographyTaskAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "song", "status", "stage", "progress", "created_at")
    list_filter = ("status", "stage")
    search_fields = ("id", "user__username", "error")
    readonly_fields = (
        "id", "user", "song", "parameters", "status", "stage", "progress", "message",
        "blueprint", "error", "error_details", "created_at", "updated_at",
    )  # fmt: skip
    exclude = ("result",)

    @admin.display(description="blueprint")
    def blueprint(self, task: ChoreographyTask) -> str:
        return format_html("<pre>{}</pre>", json.dumps(task.result, indent=2))

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


def _url(key: str) -> str:
    return runtime.current().storage.url(key) if key else ""
