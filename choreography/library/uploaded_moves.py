"""Moves uploaded as filmed on a phone: analysed once, cut on count 1, normalized once.

The use case behind a studio's move upload (the HTTP routes call it; no request here):

1. ``analyse_upload`` reads an uploaded file once: the probe (refusing what is not a usable
   video, with a sentence), the tempo and beat grid from its sound (the song analysis of
   ``choreography.music.analysis``; a typed tempo when it has no usable sound) and a strip of
   poster frames. It proposes a cut that starts on count 1 (the first downbeat) and lasts
   the whole 8-counts that fit, guesses the labels from the file name, and keeps the original,
   the posters and the analysis in storage under ``library/uploads/<hash>/``. Only the sound
   and a few frames are decoded: it is quick enough to wait for.
2. ``preview_cut`` renders a small MP4 of a cut with a click track, for the page to play.
3. ``cut_and_normalize`` makes the chosen cut a library move: the canonical clip (the
   library's format, video only, as every clip), its elementary stream and poster, the
   ``Move`` row, then its tempo variants as for any move. It is the slow step: run it in the
   background. ``recut_move`` does it again from the kept original with another start and
   length, without a new upload.

Anything refused or failing leaves nothing behind: work files live in a work dir removed on
the way out, and stored objects are deleted again when a later step fails.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from django.db import IntegrityError
from pydantic import BaseModel, ConfigDict, Field

from assembly import (
    FFmpegCommandBuilder,
    InputLimits,
    MediaError,
    PhoneFacts,
    PhoneInputError,
    VideoFormat,
    cut_clip,
    cut_frames,
    decode_sound,
    elementary_stream,
    finish,
    gather_or_cancel,
    make_preview,
    probe,
    probe_phone_clip,
    take_posters,
    whole_counts,
    work_dir,
)
from choreography.library.formats import clip_duration, clip_fields
from choreography.library.originals import original_key
from choreography.library.sources import clip_metadata
from choreography.library.variants import ensure_variants, forget_variants, needed_for_song
from choreography.models import Move, Song, TempoSource
from storage import Storage, StorageError

if TYPE_CHECKING:
    from choreography.runtime import Runtime

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, str], Awaitable[None]]
"""``progress(stage, percent, message)``, as the generation's progress events."""

POSTERS = 8
MIN_TYPED_BPM, MAX_TYPED_BPM = 50.0, 220.0
BEATS_PER_PHRASE = 8
PHONE_NAME = re.compile(r"^(img|vid|mov|pxl|video|dsc|mvimg)[_\- ]?\d[\d_\-]*$", re.IGNORECASE)
"""File names phones give (IMG_1234, VID_20240101_120000, PXL_...): no label in them."""


class Beat(BaseModel):
    model_config = ConfigDict(frozen=True)

    seconds: float
    count: int = Field(ge=1, le=8)
    """Its count in the 8-count: 1 on each count 1 from the first downbeat."""


class Cut(BaseModel):
    """Where a move starts in the uploaded clip and how many whole 8-counts it lasts."""

    model_config = ConfigDict(frozen=True)

    start_seconds: float = Field(ge=0)
    counts: int = Field(ge=1, le=64)


class Poster(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    seconds: float


class MoveLabels(BaseModel):
    """What the instructor fills in; guessed from the file name to start with."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=100)
    label: str = Field(min_length=1, max_length=100)
    difficulty: Literal["beginner", "intermediate", "advanced"] = "intermediate"
    energy_level: Literal["low", "medium", "high"] = "medium"
    style: Literal["romantic", "energetic", "sensual", "playful"] = "romantic"
    role: Literal["move", "intro", "outro"] = "move"


class UploadAnalysis(BaseModel):
    """Everything the upload page shows and the cut needs, kept as JSON beside the original."""

    model_config = ConfigDict(frozen=True)

    content_hash: str
    filename: str
    original_key: str
    facts: PhoneFacts
    tempo_bpm: float
    tempo_source: Literal["detected", "given"]
    confidence: float
    """Pulse clarity of the sound (0..1); 0 when the tempo was typed for a silent clip."""
    first_beat: float
    """Count 1 of the first 8-count where the music has started (0 s for a typed tempo)."""
    beats: tuple[Beat, ...]
    proposed: Cut
    posters: tuple[Poster, ...]
    labels: MoveLabels
    cut: Cut | None = None
    """The cut the library's move was made from, once it is saved."""

    @property
    def beat_seconds(self) -> float:
        return 60.0 / self.tempo_bpm

    @property
    def phrase_seconds(self) -> float:
        return BEATS_PER_PHRASE * self.beat_seconds

    def max_counts(self, start_seconds: float) -> int:
        """Whole 8-counts that fit from ``start_seconds`` to the end of the clip."""
        return whole_counts(self.facts.duration - start_seconds, self.tempo_bpm)

    @property
    def key(self) -> str:
        return analysis_key(self.content_hash)


def uploads_prefix(content_hash: str) -> str:
    return f"library/uploads/{content_hash[:24]}/"


def analysis_key(content_hash: str) -> str:
    return f"{uploads_prefix(content_hash)}analysis.json"


def labels_from_filename(filename: str) -> MoveLabels:
    """The labels a file name suggests: the library's one file-name parser (sources.clip_metadata);
    a camera's own name (IMG_1234) says nothing of style or role."""
    if not Path(filename).stem.strip():
        filename = "move.mov"
    meta = clip_metadata(filename)
    if PHONE_NAME.match(Path(filename).stem.strip()):
        return MoveLabels(name=meta.name, label=meta.label)
    return MoveLabels(name=meta.name, label=meta.label[:100], style=meta.style, role=meta.role)


def beat_grid(duration: float, bpm: float, first_beat: float) -> tuple[Beat, ...]:
    """Every beat inside the clip, counted 1-8 from ``first_beat`` (also before it)."""
    beat = 60.0 / bpm
    first = first_beat - beat * int(first_beat / beat + 1e-9)
    beats, index = [], round((first - first_beat) / beat)
    time = first
    while time < duration - 1e-6:
        beats.append(Beat(seconds=round(time, 4), count=index % BEATS_PER_PHRASE + 1))
        index += 1
        time = first_beat + index * beat
    return tuple(beats)


def _builder(runtime: Runtime) -> FFmpegCommandBuilder:
    config = runtime.config
    return FFmpegCommandBuilder(config.ffmpeg, config.ffprobe)


async def _say(progress: Progress | None, stage: str, percent: int, message: str) -> None:
    if progress is not None:
        await progress(stage, percent, message)


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


async def analyse_upload(
    path: Path,
    *,
    filename: str,
    typed_tempo: float | None = None,
    progress: Progress | None = None,
    limits: InputLimits | None = None,
    posters: int = POSTERS,
    runtime: Runtime,
) -> UploadAnalysis:
    """Analyse an uploaded clip once and keep it (original, posters, analysis) in storage.

    ``path`` stays the caller's. PhoneInputError (a MediaError) with a sentence when the file
    is not a usable video, is too long or too short, or has no tempo to find and none typed.
    """
    name = Path(filename).name or "the file"
    if typed_tempo is not None and not MIN_TYPED_BPM <= typed_tempo <= MAX_TYPED_BPM:
        raise PhoneInputError(
            f"a tempo of {typed_tempo:g} BPM is not a dance tempo: type one between "
            f"{MIN_TYPED_BPM:g} and {MAX_TYPED_BPM:g}.",
            stage="validation",
        )
    builder = _builder(runtime)
    await _say(progress, "probing", 5, "reading the video")
    limits = limits or runtime.config.input_limits  # CHOREO_MAX_MOVE_S, the frame's sides
    facts = await probe_phone_clip(path, builder, name=name, limits=limits)
    content_hash = await asyncio.to_thread(_hash, path)
    async with work_dir(runtime.work_root, "upload-") as work:
        await _say(progress, "analysing", 15, "finding the beat and taking poster frames")
        (bpm, first, confidence, source), frames = await gather_or_cancel(
            (
                _tempo(path, facts, work, builder, typed_tempo=typed_tempo, name=name),
                take_posters(path, builder, work, facts, count=posters, name=name),
            )
        )
        counts = whole_counts(facts.duration - first, bpm)
        if counts < 1:
            raise PhoneInputError(
                f"{name} is too short for one 8-count at {bpm:.1f} BPM: from its first count 1 "
                f"at {first:.2f} s it has {facts.duration - first:.2f} s, and an 8-count needs "
                f"{BEATS_PER_PHRASE * 60 / bpm:.2f} s.",
                stage="analysing",
            )
        await _say(progress, "storing", 80, "keeping the original and the poster frames")
        prefix = uploads_prefix(content_hash)
        analysis = UploadAnalysis(
            content_hash=content_hash,
            filename=name,
            original_key=original_key("clips", content_hash, Path(name)),
            facts=facts,
            tempo_bpm=bpm,
            tempo_source=source,
            confidence=confidence,
            first_beat=first,
            beats=beat_grid(facts.duration, bpm, first),
            proposed=Cut(start_seconds=first, counts=counts),
            posters=tuple(
                Poster(key=f"{prefix}{p.name}", seconds=seconds) for p, seconds in frames
            ),
            labels=labels_from_filename(name),
        )
        await _keep(analysis, path, frames, work, runtime=runtime)
    await _say(progress, "analysed", 100, "ready to cut")
    return analysis


async def _tempo(
    path: Path,
    facts: PhoneFacts,
    work: Path,
    builder: FFmpegCommandBuilder,
    *,
    typed_tempo: float | None,
    name: str,
) -> tuple[float, float, float, Literal["detected", "given"]]:
    """(bpm, first downbeat, confidence, source) from the clip's sound or the typed tempo."""
    import numpy as np  # lazily, with the analysis: see choreography.library.imports

    from choreography.music import analysis as music

    if not facts.has_audio:
        if typed_tempo is None:
            raise PhoneInputError(
                f"{name} has no sound to find its tempo in: type the tempo (BPM) the move "
                "is danced at.",
                stage="analysing",
            )
        return typed_tempo, 0.0, 0.0, "given"
    pcm = await decode_sound(
        path, builder, work / "sound.pcm", sample_rate=music.SAMPLE_RATE, name=name
    )
    samples = await asyncio.to_thread(np.fromfile, pcm, dtype="<f4")
    try:
        grid = await asyncio.to_thread(
            music.detect_beat_grid, samples, music.SAMPLE_RATE, bpm=typed_tempo
        )
    except music.AnalysisError:
        grid = None
    if typed_tempo is not None:
        first = grid.first_beat if grid is not None else 0.0
        return typed_tempo, round(first, 4), round(grid.confidence if grid else 0.0, 3), "given"
    if grid is None or grid.confidence < music.MIN_CONFIDENCE:
        raise PhoneInputError(
            f"{name} has no clear beat in its sound: type the tempo (BPM) the move is danced at.",
            stage="analysing",
        )
    return round(grid.bpm, 3), round(grid.first_beat, 4), round(grid.confidence, 3), "detected"


async def _keep(
    analysis: UploadAnalysis,
    path: Path,
    frames: list[tuple[Path, float]],
    work: Path,
    *,
    runtime: Runtime,
) -> None:
    """Store the original, the posters and the analysis; all or nothing."""
    storage = runtime.storage
    record = work / "analysis.json"
    await asyncio.to_thread(record.write_text, analysis.model_dump_json(), "utf-8")
    uploads = [
        storage.upload(path, analysis.original_key),
        *(
            storage.upload(p, poster.key, move=True)
            for (p, _), poster in zip(frames, analysis.posters, strict=True)
        ),
        storage.upload(record, analysis.key, move=True),
    ]
    try:
        await gather_or_cancel(uploads)
    except BaseException:
        await finish(discard_upload(analysis, runtime=runtime))
        raise


async def load_analysis(content_hash: str, *, runtime: Runtime) -> UploadAnalysis:
    """The analysis kept for an upload; MediaError when there is none."""
    storage = runtime.storage
    async with work_dir(runtime.work_root, "upload-") as work:
        try:
            await storage.download(analysis_key(content_hash), work / "analysis.json")
        except StorageError as exc:
            raise MediaError(
                "this move was not uploaded as filmed: there is no analysis to cut it from",
                stage="lookup",
                details=str(exc),
            ) from exc
        raw = await asyncio.to_thread((work / "analysis.json").read_text, "utf-8")
    return UploadAnalysis.model_validate(json.loads(raw))


async def _save_analysis(analysis: UploadAnalysis, *, runtime: Runtime) -> None:
    async with work_dir(runtime.work_root, "upload-") as work:
        record = work / "analysis.json"
        await asyncio.to_thread(record.write_text, analysis.model_dump_json(), "utf-8")
        await runtime.storage.upload(record, analysis.key, move=True)


async def discard_upload(analysis: UploadAnalysis, *, runtime: Runtime) -> None:
    """Delete what ``analyse_upload`` stored (an upload the instructor did not keep)."""
    keys = [analysis.original_key, *(p.key for p in analysis.posters), analysis.key]
    storage = runtime.storage
    keys += [k for k in await storage.list(uploads_prefix(analysis.content_hash)) if k not in keys]
    await _delete_quietly(keys, storage)


async def _delete_quietly(keys, storage: Storage) -> None:
    for key in keys:
        try:
            await storage.delete(key)
        except StorageError as exc:
            logger.warning("could not delete %s: %s", key, exc)


def check_cut(analysis: UploadAnalysis, cut: Cut) -> None:
    """PhoneInputError when ``cut`` does not lie inside the clip."""
    end = cut.start_seconds + cut.counts * analysis.phrase_seconds
    slack = 1.0 / max(1.0, analysis.facts.fps)
    if end > analysis.facts.duration + slack:
        fits = analysis.max_counts(cut.start_seconds)
        raise PhoneInputError(
            f"{cut.counts} 8-counts from {cut.start_seconds:.2f} s end at {end:.2f} s, after "
            f"the clip's end at {analysis.facts.duration:.2f} s: from there "
            + (f"{fits} fit." if fits else "not even one fits."),
            stage="validation",
        )


async def preview_cut(analysis: UploadAnalysis, cut: Cut, *, runtime: Runtime) -> str:
    """The storage key of a small MP4 of ``cut`` with a click track (rendered once per cut)."""
    check_cut(analysis, cut)
    storage = runtime.storage
    key = f"{uploads_prefix(analysis.content_hash)}preview-{_cut_token(cut)}.mp4"
    if await storage.exists(key):
        return key
    async with work_dir(runtime.work_root, "upload-") as work:
        source = await _original(analysis, work, storage)
        output = await make_preview(
            source,
            _builder(runtime),
            work / "preview.mp4",
            start=cut.start_seconds,
            seconds=cut.counts * analysis.phrase_seconds,
            bpm=analysis.tempo_bpm,
            with_sound=analysis.facts.has_audio,
            name=analysis.filename,
        )
        await storage.upload(output, key, move=True)
    return key


def _cut_token(cut: Cut) -> str:
    return f"{round(cut.start_seconds * 1000)}ms-{cut.counts}x8"


def cut_keys(analysis: UploadAnalysis, cut: Cut, fmt: VideoFormat) -> tuple[str, str, str]:
    """Keys of the canonical clip, stream and poster of one cut in one format."""
    fmt_slug = re.sub(r"[^a-z0-9]+", "-", fmt.label.lower())
    stem = f"{analysis.content_hash[:24]}-{_cut_token(cut)}-{fmt_slug}"
    return (
        f"library/clips/{stem}.mp4",
        f"library/streams/{stem}.h264",
        f"library/posters/{stem}.jpg",
    )


async def _original(analysis: UploadAnalysis, work: Path, storage: Storage) -> Path:
    source = await storage.local_path(analysis.original_key)
    if source is None:
        source = work / f"original{Path(analysis.original_key).suffix}"
        await storage.download(analysis.original_key, source)
    return source


async def store_cut(
    analysis: UploadAnalysis,
    cut: Cut,
    progress: Progress | None = None,
    *,
    fmt: VideoFormat | None = None,
    runtime: Runtime,
) -> dict:
    """Cut and normalize from the kept original in ``fmt`` (default: the library's), index,
    take the poster, store; the move row's fields. Stored objects are deleted again if a later
    part fails (``manage.py renormalize`` rebuilds an uploaded move's cut with it)."""
    fmt = fmt or runtime.video_format
    builder = _builder(runtime)
    keys = cut_keys(analysis, cut, fmt)
    frames = cut_frames(cut.counts, analysis.tempo_bpm, fmt.fps)
    async with work_dir(runtime.work_root, "upload-cut-") as work:
        source = await _original(analysis, work, runtime.storage)
        await _say(progress, "normalizing", 10, "putting the cut in the library's format")
        clip = await cut_clip(
            source,
            builder,
            work / "cut.mp4",
            fmt,
            start=cut.start_seconds,
            frames=frames,
            name=analysis.filename,
        )
        info = await probe(clip, builder, stage="normalizing")
        poster = work / "poster.jpg"
        stream = await elementary_stream(
            clip,
            work / "clip.h264",
            builder,
            stage="normalizing",
            poster=(poster, clip_duration(info) / 2),
        )
        await _say(progress, "storing", 70, "storing the move")
        try:
            await gather_or_cancel(
                (
                    runtime.storage.upload(clip, keys[0], move=True),
                    runtime.storage.upload(stream.path, keys[1], move=True),
                    runtime.storage.upload(poster, keys[2], move=True),
                )
            )
        except BaseException:
            await finish(_delete_quietly(keys, runtime.storage))
            raise
    return {
        "clip_key": keys[0],
        "stream_key": keys[1],
        "poster_key": keys[2],
        **clip_fields(info, stream, fmt),
    }


async def cut_and_normalize(
    analysis: UploadAnalysis,
    cut: Cut,
    *,
    labels: MoveLabels | None = None,
    warm: bool = True,
    progress: Progress | None = None,
    runtime: Runtime,
) -> tuple[Move, bool]:
    """The library move of ``cut`` (returns (move, created)); an upload already made a move
    returns that move unchanged (``recut_move`` changes its cut). With ``warm``, its tempo
    variants for the library's songs are rendered before it returns: run it in the
    background."""
    check_cut(analysis, cut)
    existing = await Move.objects.filter(content_hash=analysis.content_hash).afirst()
    if existing is not None:
        return existing, False
    labels = labels or analysis.labels
    fields = await store_cut(analysis, cut, progress, runtime=runtime)
    row = {
        **fields,
        "label": labels.label,
        "original_key": analysis.original_key,
        "difficulty": labels.difficulty,
        "energy_level": labels.energy_level,
        "style": labels.style,
        "role": labels.role,
        "tempo_bpm": analysis.tempo_bpm,
        "tempo_source": (
            TempoSource.DETECTED if analysis.tempo_source == "detected" else TempoSource.METADATA
        ),
        "content_hash": analysis.content_hash,
    }
    move = None
    try:
        for name in (labels.name, f"{labels.name[:90]}-{analysis.content_hash[:6]}"):
            try:
                move = await Move.objects.acreate(name=name, **row)
                break
            except IntegrityError:
                if (other := await _move_of(analysis)) is not None:
                    await finish(
                        _delete_quietly(fields_keys(fields) - _keys_of(other), runtime.storage)
                    )
                    return other, False
        if move is None:
            raise PhoneInputError(f"a move named {labels.name!r} already exists", stage="saving")
        await _save_analysis(
            analysis.model_copy(update={"cut": cut, "labels": labels}), runtime=runtime
        )
    except BaseException:
        if move is not None:
            await finish(Move.objects.filter(pk=move.pk).adelete())
        await finish(_delete_quietly(fields_keys(fields), runtime.storage))
        raise
    await _say(progress, "normalized", 90, "the move is in the library")
    if warm:
        await warm_move(move, runtime=runtime)
    await _say(progress, "done", 100, "ready")
    return move, True


async def _move_of(analysis: UploadAnalysis) -> Move | None:
    return await Move.objects.filter(content_hash=analysis.content_hash).afirst()


def fields_keys(fields: dict) -> set[str]:
    return {fields["clip_key"], fields["stream_key"], fields["poster_key"]}


def _keys_of(move: Move) -> set[str]:
    return {move.clip_key, move.stream_key, move.poster_key}


async def recut_move(
    move: Move,
    cut: Cut,
    *,
    warm: bool = True,
    progress: Progress | None = None,
    runtime: Runtime,
) -> Move:
    """Cut ``move`` again from its kept original (another start and length), without a new
    upload; its tempo variants are forgotten and, with ``warm``, rendered again. The row
    switches to the new objects in one UPDATE, then the old ones are deleted."""
    analysis = await load_analysis(move.content_hash, runtime=runtime)
    check_cut(analysis, cut)
    fmt = runtime.video_format
    if analysis.cut == cut and move.clip_key == cut_keys(analysis, cut, fmt)[0]:
        return move
    fields = await store_cut(analysis, cut, progress, runtime=runtime)
    old = _keys_of(move) - fields_keys(fields) - {""}
    await forget_variants(move, storage=runtime.storage)
    switched = await Move.objects.filter(pk=move.pk, clip_key=move.clip_key).aupdate(**fields)
    if not switched:
        await _delete_quietly(fields_keys(fields), runtime.storage)
        raise MediaError(f"move {move.name!r} changed while it was re-cut", stage="normalizing")
    for name, value in fields.items():
        setattr(move, name, value)
    await forget_variants(move, storage=runtime.storage)  # one rendered from the old clip meanwhile
    await _delete_quietly(sorted(old), runtime.storage)
    await _save_analysis(analysis.model_copy(update={"cut": cut}), runtime=runtime)
    if warm:
        await warm_move(move, runtime=runtime)
    await _say(progress, "done", 100, "re-cut")
    return move


async def warm_move(move: Move, *, runtime: Runtime) -> int:
    """Render the tempo variants the library's songs need of ``move``; how many were needed."""
    needed = []
    async for song in Song.objects.all():
        needed.extend(needed_for_song(song, [move], fps=runtime.video_format.fps))
    await ensure_variants(needed, runtime=runtime)
    return len(needed)
