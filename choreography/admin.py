"""Admin: the library (with clip previews and upload forms) and the generation records.

The song and move lists have an "Upload" button: a form that sends the file through the same
import as the commands and the staff API (``import_song`` / ``import_clip``). The admin is sync;
the async import runs on the server's event loop through asgiref's ``async_to_sync`` (under
ASGI, Django runs this view in its sync thread and ``async_to_sync`` hands the coroutine back to
the main loop, which stays free while FFmpeg works: only that admin request waits), in the
request's runtime (``runtime_of``).

Clip and song previews point at ``<changelist>/<id>/preview/``, which redirects to the storage's
link (a signed local link or a presigned S3 URL): a list's display methods get no request, and so
no runtime to make that link with.
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
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from assembly import FFmpegError, MediaError
from choreography.api.request_context import runtime_of
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


def run_import(request: HttpRequest, func, *args, **kwargs):
    """Run an async import from the sync admin in the request's runtime (see the module
    docstring)."""
    return async_to_sync(func)(*args, runtime=runtime_of(request), **kwargs)


@contextlib.contextmanager
def uploaded_path(uploaded, directory: Path):
    """The uploaded file on disk under ``directory``, the runtime's work dir (a small one
    Django kept in memory is written out), removed afterwards."""
    if hasattr(uploaded, "temporary_file_path"):
        yield Path(uploaded.temporary_file_path())
        return
    # The runtime's work dir is this instance's own: swept if the process dies.
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
    """An "upload" admin view on the change list (``<changelist>/upload/``), and the preview
    redirect (``<changelist>/<id>/preview/``) to the stored media in ``preview_field``."""

    change_list_template = "admin/choreography/library_change_list.html"
    upload_form: type[forms.Form]
    command = ""
    preview_field = ""

    def get_urls(self):
        prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        view = self.admin_site.admin_view(self.upload_view)
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("upload/", view, name=f"{prefix}_upload"),
            path("<int:object_id>/preview/", preview, name=f"{prefix}_preview"),
            *super().get_urls(),
        ]

    def preview_url(self, row) -> str:
        meta = self.model._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_preview", args=[row.pk])

    def preview_view(self, request, object_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        row = get_object_or_404(self.model, pk=object_id)
        key = getattr(row, self.preview_field)
        if not key:
            raise Http404("no stored media")
        return HttpResponseRedirect(runtime_of(request).storage.url(key))

    def upload_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = self.upload_form(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                work_root = runtime_of(request).work_root
                with uploaded_path(uploaded, work_root) as source:
                    row, created = self.import_file(
                        request, source, uploaded.name, form.cleaned_data
                    )
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
    preview_field = "audio_key"

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
        return format_html(
            '<audio controls preload="none" src="{}"></audio>', self.preview_url(song)
        )

    def import_file(self, request: HttpRequest, source: Path, filename: str, data: dict):
        return run_import(
            request,
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
    preview_field = "clip_key"

    def import_file(self, request: HttpRequest, source: Path, filename: str, data: dict):
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
        return run_import(request, import_clip, source, meta)

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
            self.preview_url(move),
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
