"""What a downloaded choreography is called: the song and the parameters it was made with.

"Demo Bachata Lenta", beginner, medium, romantic -> ``demo-bachata-lenta-beginner-medium-romantic.mp4``.
Accents are kept here (``obsesión-…``); the storage layer sends an ASCII fallback beside the
exact name (storage.disposition), so a quote or a non-Latin title never breaks the header.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.text import slugify

from choreography.models import ChoreographyTask

PARAMETER_ORDER = ("difficulty", "energy_level", "style")


def video_filename(song_title: str, parameters: Mapping[str, object]) -> str:
    """``<song>-<difficulty>-<energy>-<style>.mp4`` (a parameter left open is left out)."""
    words = [slugify(song_title, allow_unicode=True)[:80].strip("-") or "choreography"]
    words += [slugify(str(parameters[name])) for name in PARAMETER_ORDER if parameters.get(name)]
    return "-".join(word for word in words if word) + ".mp4"


def task_video_filename(task: ChoreographyTask) -> str:
    """The download name of a task's video; its song must already be loaded (async code)."""
    song = ChoreographyTask.song.field.get_cached_value(task, None) if task.song_id else None
    return video_filename(song.title if song else "", task.parameters)
