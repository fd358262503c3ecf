"""Admin: the library (with clip previews and upload forms) and the generation records.

The song and move lists have an "Upload" button: a form that sends the file through the same
import as the commands and the staff API (``import_song`` / ``import_clip``). The admin is sync;
the async import runs on the server's event loop through asgiref's ``async_to_sync`` (under
ASGI, Django runs this view in its sync thread and ``async_to_sync`` hands the coroutine back to
the main loop, which stays free while FFmpeg works: only that admin request waits). Outside a
server (no active runtime) it runs in a runtime of its own, as management commands do
(``run_sync``).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

from asgiref.sync import async_to_sync
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from assembly import FFmpegError, MediaError
from choreography import runtime
from choreography.library.batch import failure_reason
from choreography.library.imports import import_clip, import_song
from choreography.library.sources import clip_metadata
from choreography.models import (
    ChoreographyTask,
    Difficulty,
    EnergyLevel,
    Move,
    MoveRole,
    Song,
    Style,
)
from choreography.music.vocabulary import DEFAULT_DIFFICULTY, DEFAULT_ENERGY_LEVEL


def run_import(func, *args, **kwargs):
    """Run an async import from the sync admin (see the module docstring)."""
    try:
        runtime.current()
    except RuntimeError:
        return runtime.run_sync(func, *args, **kwargs)
    return async_to_sync(func)(*args, **kwargs)


@contextlib.contextmanager
def uploaded_path(uploaded):
    """The uploaded file on disk under the runtime's work dir (a small one Django kept in
    memory is written out), removed afterwards."""
    if hasattr(uploaded, "temporary_file_path"):
        yield Path(uploaded.temporary_file_path())
        return
    directory = runtime.current().work_root  # this instance's own: swept if the process dies
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".upload", dir=directory) as copy:
        for chunk in uploaded.chunks():
            copy.write(chunk)
        copy.flush()
        yield Path(copy.name)


class SongUploadForm(forms.Form):
    file = forms.FileField()
    title = forms.CharField(max_length=200)
    artist = forms.CharField(max_length=200, required=False)
    bpm = forms.FloatField(min_value=20, max_value=400, required=False, help_text="default: detect")
    first_beat = forms.FloatField(min_value=0, required=False, help_text="seconds; default: detect")
    genre = forms.CharField(max_length=50, initial="bachata")


class MoveUploadForm(forms.Form):
    file = forms.FileField()
    name = forms.SlugField(max_length=90, required=False, help_text="default: from the file name")
    label = forms.CharField(max_length=100, required=False)
    difficulty = forms.ChoiceField(choices=Difficulty.choices, initial=DEFAULT_DIFFICULTY)
    energy_level = forms.ChoiceField(choices=EnergyLevel.choices, initial=DEFAULT_ENERGY_LEVEL)
    style = forms.ChoiceField(choices=[("", "from the file name"), *Style.choices], required=False)
    role = forms.ChoiceField(
        choices=[("", "from the file name"), *MoveRole.choices], required=False
    )
    tempo = forms.FloatField(min_value=20, max_value=400, required=False)


class UploadMixin:
    """An "upload" admin view on the change list (``<changelist>/upload/``)."""

    change_list_template = "admin/choreography/library_change_list.html"
    upload_form: type[forms.Form]
    command = ""

    def get_urls(self):
        name = f"{self.model._meta.app_label}_{self.model._meta.model_name}_upload"
        view = self.admin_site.admin_view(self.upload_view)
        return [path("upload/", view, name=name), *super().get_urls()]

    def upload_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = self.upload_form(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                with uploaded_path(uploaded) as source:
                    row, created = self.import_file(source, uploaded.name, form.cleaned_data)
            except (MediaError, FFmpegError) as exc:
                form.add_error("file", f"cannot read {uploaded.name!r} as media: "
                               f"{failure_reason(exc)}")  # fmt: skip
            else:
                if created:
                    self.message_user(request, f"imported {row}", messages.SUCCESS)
                else:
                    self.message_user(request, f"already in the library: {row}", messages.WARNING)
                return HttpResponseRedirect(f"../{row.pk}/change/")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Upload a {self.model._meta.verbose_name}",
            "form": form,
            "command": self.command,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/choreography/upload.html", context)


@admin.register(Song)
class SongAdmin(UploadMixin, admin.ModelAdmin):
    upload_form = SongUploadForm
    command = "import_song"

    list_display = (
        "id",
        "title",
        "artist",
        "bpm",
        "duration_seconds",
        "loudness_lufs",
        "created_at",
    )
    search_fields = ("title", "artist")
    readonly_fields = (
        "audio_key",
        "original_key",
        "content_hash",
        "created_at",
        "preview",
        "loudness_input_lufs",
        "loudness_lufs",
        "true_peak_dbtp",
    )

    @admin.display(description="preview")
    def preview(self, song: Song) -> str:
        return format_html('<audio controls preload="none" src="{}"></audio>', _url(song.audio_key))

    def import_file(self, source: Path, filename: str, data: dict):
        return run_import(
            import_song,
            source,
            title=data["title"],
            artist=data["artist"],
            bpm=data["bpm"],
            first_beat=data["first_beat"],
            genre=data["genre"] or "bachata",
        )


@admin.register(Move)
class MoveAdmin(UploadMixin, admin.ModelAdmin):
    upload_form = MoveUploadForm
    command = "import_moves"

    def import_file(self, source: Path, filename: str, data: dict):
        meta = clip_metadata(
            filename,
            name=data["name"],
            label=data["label"],
            difficulty=data["difficulty"],
            energy_level=data["energy_level"],
            style=data["style"],
            tempo_bpm=data["tempo"],
            role=data["role"],
        )
        return run_import(import_clip, source, meta)

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
    readonly_fields = (
        "clip_key",
        "stream_key",
        "poster_key",
        "original_key",
        "clip_format",
        "frames",
        "content_hash",
        "created_at",
        "preview",
    )
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


def _url(key: str) -> str:
    return runtime.current().storage.url(key) if key else ""
