"""Shared fixtures: small real media synthesized once per session by FFmpeg."""

from __future__ import annotations

from pathlib import Path

import pytest

from assembly import VideoFormat
from tests.helpers import make_canonical_clip, make_song

FMT = VideoFormat(width=320, height=180, fps=30)
"""Matches tests.settings (CHOREO_VIDEO_SIZE=320x180, 30 fps)."""

CLIP_FRAMES = (61, 47, 75, 53, 90, 66)


@pytest.fixture(scope="session", autouse=True)
def _close_thread_connections(django_db_setup, django_db_blocker):
    """Close the ORM connections async code opened in asgiref's worker thread.

    PostgreSQL refuses to drop the test database while any session is still connected.
    """
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    with django_db_blocker.unblock():
        SyncToAsync.single_thread_executor.submit(connections.close_all).result()
        connections.close_all()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def canonical_clips(media_dir) -> list[Path]:
    """Six canonical clips of odd frame counts, each visibly different."""
    return [
        make_canonical_clip(media_dir / f"clip{i}.mp4", frames, FMT, hue=i * 60)
        for i, frames in enumerate(CLIP_FRAMES)
    ]


@pytest.fixture(scope="session")
def song_file(media_dir) -> Path:
    """A 6.5-second AAC song."""
    return make_song(media_dir / "song.m4a", 6.5)


@pytest.fixture
async def library(transactional_db, canonical_clips, song_file):
    """The small library imported into the test database through the real import path."""
    from choreography.library import ClipMetadata, import_clip, import_song

    styles = ("romantic", "energetic", "sensual", "playful", "romantic", "playful")
    difficulties = ("beginner", "intermediate", "advanced", "intermediate", "beginner", "advanced")
    energies = ("low", "medium", "high", "medium", "medium", "high")
    moves = []
    for i, clip in enumerate(canonical_clips):
        move, _ = await import_clip(
            clip,
            ClipMetadata(
                name=f"move-{i}",
                label=f"Move {i}",
                difficulty=difficulties[i],
                energy_level=energies[i],
                style=styles[i],
            ),
        )
        moves.append(move)
    song, _ = await import_song(song_file, title="Test Song", artist="Tester", bpm=120.0)
    return song, moves


@pytest.fixture(scope="session")
def long_song_file(media_dir) -> Path:
    """A 40-second AAC song, for long timelines."""
    return make_song(media_dir / "long-song.m4a", 40.0)
