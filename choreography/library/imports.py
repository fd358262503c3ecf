"""Importing media into the library: normalize once, store by content hash, record the facts.

Re-importing the same file is a no-op (the content hash is the identity). The file as imported is
kept beside its canonical form (``original_key``), so ``manage.py renormalize`` can rebuild the
library in another format without the operator's source files. Songs are analysed
(tempo, first downbeat, per-phrase energy) unless told their tempo and first beat; a clip without
a tempo in its metadata gets the tempo of its own audio track, measured before normalization drops
it, else ``DEFAULT_CLIP_TEMPO_BPM``.

Every file is probed first, opened only as a container the library takes, and checked against the
configured limits (``ChoreoConfig.input_limits``: durations, frame size, frame rate) before
anything decodes it: MediaRejectedError otherwise, and nothing is stored or recorded.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import IntegrityError

from assembly import (
    MOVE_DEMUXERS,
    FFmpegCommandBuilder,
    InputLimits,
    LoudnessResult,
    MediaError,
    MediaInfo,
    check_clip,
    gather_or_cancel,
    prepare_song,
    probe,
    work_dir,
)
from choreography.library.formats import store_canonical_clip
from choreography.library.originals import original_key
from choreography.library.variants import warm_song
from choreography.models import Move, Song, TempoSource
from choreography.music.catalog import ClipMetadata
from choreography.music.generator import DEFAULT_CLIP_TEMPO_BPM

# choreography.library.listening (NumPy, a tenth of a second) is imported where a file is analysed:
# the admin, and so every management command and server process, imports this module at start-up.
if TYPE_CHECKING:
    from choreography.music.analysis import SongAnalysis
    from choreography.runtime import Runtime

logger = logging.getLogger(__name__)


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


async def hash_file(path: Path) -> str:
    """SHA-256 of a file, computed in a thread so the event loop stays free."""
    return await asyncio.to_thread(_hash_file, path)


def _builder(runtime: Runtime) -> FFmpegCommandBuilder:
    config = runtime.config
    return FFmpegCommandBuilder(config.ffmpeg, config.ffprobe)


def _work_dir(runtime: Runtime):
    return work_dir(runtime.work_root, "import-")


async def import_clip(source: Path, meta: ClipMetadata, *, runtime: Runtime) -> tuple[Move, bool]:
    """Import one move clip; returns (move, created). MediaError if it cannot be decoded."""
    content_hash = await hash_file(source)
    existing = await Move.objects.filter(content_hash=content_hash).afirst()
    if existing is not None:
        return existing, False
    builder = _builder(runtime)
    limits = runtime.config.input_limits
    # Probed once, before anything decodes it: for the limits, its audio, the canonical check.
    info = await probe(source, builder, stage="importing", formats=MOVE_DEMUXERS)
    check_clip(info, limits, source.name)
    async with _work_dir(runtime) as work:
        tempo, tempo_source = meta.tempo_bpm, TempoSource.METADATA
        if tempo is None:
            tempo = await _own_tempo(source, info, work, builder, limits)
            tempo_source = TempoSource.DETECTED if tempo else TempoSource.DEFAULT
        stem = content_hash[:24]
        keys = (
            f"library/clips/{stem}.mp4",
            f"library/streams/{stem}.h264",
            f"library/posters/{stem}.jpg",
        )
        kept = original_key("clips", content_hash, source)
        storage = runtime.storage
        media, _ = await gather_or_cancel(
            (
                store_canonical_clip(
                    source,
                    work,
                    runtime.video_format,
                    builder,
                    storage,
                    keys,
                    info=info,
                    limits=limits,
                ),
                storage.upload(source, kept),
            )
        )
    fields = {
        "label": meta.label,
        **media,
        "original_key": kept,
        "difficulty": meta.difficulty,
        "energy_level": meta.energy_level,
        "style": meta.style,
        "tempo_bpm": tempo or DEFAULT_CLIP_TEMPO_BPM,
        "tempo_source": tempo_source,
        "role": meta.role,
        "content_hash": content_hash,
    }
    # Names are unique: another clip of the same name gets the content hash as a suffix. Two
    # imports of the same content racing each other end with one row, which both return.
    for name in (meta.name, f"{meta.name[:90]}-{content_hash[:6]}"):
        try:
            move = await Move.objects.acreate(name=name, **fields)
            break
        except IntegrityError:
            existing = await Move.objects.filter(content_hash=content_hash).afirst()
            if existing is not None:
                return existing, False
    else:
        raise MediaError(f"a move named {meta.name!r} already exists", stage="importing")
    return move, True


async def _own_tempo(
    source: Path, info: MediaInfo, work: Path, builder: FFmpegCommandBuilder, limits: InputLimits
) -> float | None:
    """The tempo of the clip's audio track (``info``: its probe); None when it has none or no
    clear beat."""
    if info.audio is None:
        return None
    from choreography.library.listening import detect_clip_tempo  # lazily: see the imports

    tempo = await detect_clip_tempo(
        source, work, builder, formats=MOVE_DEMUXERS, max_seconds=limits.max_move_s
    )
    logger.info("%s: tempo from its audio: %s", source.name, tempo or "no clear beat")
    return tempo


async def import_song(
    source: Path,
    *,
    title: str,
    artist: str = "",
    bpm: float | None = None,
    first_beat: float | None = None,
    genre: str = "bachata",
    warm: bool = True,
    runtime: Runtime,
) -> tuple[Song, bool]:
    """Import one song as AAC/M4A at the library's loudness, analysed; returns (song, created).

    ``bpm`` and ``first_beat`` win over detection; the energy curve is always measured.
    With ``warm``, the tempo variants the song needs are rendered too (library.variants).
    MediaError (or its AnalysisError) when the file cannot be decoded or analysed.
    """
    content_hash = await hash_file(source)
    existing = await Song.objects.filter(content_hash=content_hash).afirst()
    if existing is not None:
        return existing, False
    builder = _builder(runtime)
    async with _work_dir(runtime) as work:
        prepared = await prepare_song(
            source,
            work,
            runtime.audio_format,
            builder,
            limits=runtime.config.input_limits,
        )
        # Analyse what will be played: beat times are relative to the canonical file.
        from choreography.library.listening import analyse_file  # lazily: see the imports

        analysis = await analyse_file(prepared.path, work, builder, bpm=bpm, first_beat=first_beat)
        key = f"library/songs/{content_hash[:24]}.m4a"
        kept = original_key("songs", content_hash, source)
        storage = runtime.storage
        await gather_or_cancel((storage.upload(source, kept), storage.upload(prepared.path, key)))
    song = await Song.objects.acreate(
        title=title,
        artist=artist,
        audio_key=key,
        original_key=kept,
        duration_seconds=round(prepared.info.duration, 6),
        bpm=analysis.bpm,
        first_beat_seconds=analysis.first_beat,
        energy_curve=list(analysis.energy_curve),
        analysis=_analysis_record(analysis),
        genre=genre,
        content_hash=content_hash,
        **_loudness_fields(prepared.loudness),
    )
    if warm:
        await warm_song(song, runtime=runtime)
    return song, True


def _loudness_fields(loudness: LoudnessResult | None) -> dict[str, float]:
    """What the import measured: the source's loudness and the stored file's (none: silence)."""
    if loudness is None:
        return {}
    return {
        "loudness_input_lufs": round(loudness.input_lufs, 2),
        "loudness_lufs": round(loudness.output_lufs, 2),
        "true_peak_dbtp": round(loudness.output_true_peak, 2),
    }


def _analysis_record(analysis: SongAnalysis) -> dict:
    return {
        "bpm_source": analysis.bpm_source,
        "first_beat_source": analysis.first_beat_source,
        "confidence": analysis.confidence,
        "decoded_seconds": round(analysis.duration, 3),
    }
