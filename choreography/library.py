"""Importing media into the library: normalize once, store by content hash, record the facts.

Re-importing the same file is a no-op (the content hash is the identity).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from assembly import FFmpegCommandBuilder
from assembly.media import elementary_stream, prepare_clip, prepare_song
from assembly.workdir import work_dir
from choreography.models import Move, Song
from choreography.runtime import audio_format, get_storage, video_format


@dataclass(frozen=True)
class ClipMetadata:
    name: str
    label: str
    difficulty: str
    energy_level: str
    style: str
    tempo_bpm: float = 120.0


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


async def hash_file(path: Path) -> str:
    """SHA-256 of a file, computed in a thread so the event loop stays free."""
    return await asyncio.to_thread(_hash_file, path)


def _builder() -> FFmpegCommandBuilder:
    return FFmpegCommandBuilder(settings.CHOREO.ffmpeg, settings.CHOREO.ffprobe)


def _work_dir():
    return work_dir(settings.WORK_ROOT, "import-")


async def import_clip(source: Path, meta: ClipMetadata) -> tuple[Move, bool]:
    """Import one move clip; returns (move, created)."""
    content_hash = await hash_file(source)
    existing = await Move.objects.filter(content_hash=content_hash).afirst()
    if existing is not None:
        return existing, False
    async with _work_dir() as work:
        prepared = await prepare_clip(source, work, video_format(), _builder())
        stream = await elementary_stream(prepared.path, work / "clip.h264", _builder())
        key = f"library/clips/{content_hash[:24]}.mp4"
        stream_key = f"library/streams/{content_hash[:24]}.h264"
        storage = get_storage()
        await asyncio.gather(
            storage.upload(prepared.path, key), storage.upload(stream.path, stream_key)
        )
    video = prepared.info.video
    assert video is not None
    move = await Move.objects.acreate(
        name=meta.name,
        label=meta.label,
        clip_key=key,
        stream_key=stream_key,
        frame_offsets=list(stream.offsets),
        duration_seconds=round(video.frames / video.fps, 6)
        if video.fps
        else prepared.info.duration,
        frames=stream.frames,
        canonical=True,
        difficulty=meta.difficulty,
        energy_level=meta.energy_level,
        style=meta.style,
        tempo_bpm=meta.tempo_bpm,
        content_hash=content_hash,
    )
    return move, True


async def import_song(
    source: Path, *, title: str, artist: str = "", bpm: float, genre: str = "bachata"
) -> tuple[Song, bool]:
    """Import one song as AAC/M4A; returns (song, created)."""
    content_hash = await hash_file(source)
    existing = await Song.objects.filter(content_hash=content_hash).afirst()
    if existing is not None:
        return existing, False
    async with _work_dir() as work:
        prepared = await prepare_song(source, work, audio_format(), _builder())
        key = f"library/songs/{content_hash[:24]}.m4a"
        await get_storage().upload(prepared.path, key)
    song = await Song.objects.acreate(
        title=title,
        artist=artist,
        audio_key=key,
        duration_seconds=round(prepared.info.duration, 6),
        bpm=bpm,
        genre=genre,
        content_hash=content_hash,
    )
    return song, True
