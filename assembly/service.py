"""VideoAssemblyService: blueprint in, finished video in storage out.

Fast path (every input canonical): clips are joined by stream copy, frame-exact, and the song's
AAC is laid under them by stream copy: no encoding at all. A clip that is not canonical is
normalized in the work dir first (logged as the slow path); a song that is not AAC is encoded.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import shutil
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from assembly.blueprint import Blueprint
from assembly.commands import FFmpegCommandBuilder, Segment, concat_list, frames_for_timeline
from assembly.errors import (
    AssemblyTimeoutError,
    FFmpegNotFoundError,
    InputFetchError,
    InputNotFoundError,
    UploadError,
)
from assembly.formats import AudioFormat, VideoFormat
from assembly.probe import probe
from assembly.runner import run_process
from assembly.workdir import remove_tree, work_dir
from storage import ObjectNotFoundError, Storage, StorageError

logger = logging.getLogger(__name__)

STAGE_PROGRESS: dict[str, int] = {
    "fetching": 20,
    "concatenating": 50,
    "adding_audio": 70,
    "uploading": 85,
    "cleanup": 95,
    "completed": 100,
}
"""Stage → progress percentage reported when the stage starts (requirement R4)."""

ProgressReporter = Callable[[str, int, str], Awaitable[None] | None]
"""Called with (stage, percent, message); may be sync or async."""


@dataclass(frozen=True)
class ClipHint:
    """What the library already knows about a clip, so the assembly need not probe it."""

    frames: int
    canonical: bool = True


@dataclass
class AssemblyResult:
    output_key: str
    duration_seconds: float
    frames: int
    size_bytes: int
    stage_seconds: dict[str, float] = field(default_factory=dict)
    normalized_inputs: list[str] = field(default_factory=list)


@dataclass
class _State:
    stage: str = "queued"


class VideoAssemblyService:
    """Assembles blueprints with FFmpeg; one instance serves many concurrent requests."""

    def __init__(
        self,
        storage: Storage,
        *,
        work_root: Path,
        video_format: VideoFormat | None = None,
        audio_format: AudioFormat | None = None,
        ffmpeg: str = "ffmpeg",
        ffprobe: str = "ffprobe",
        timeout_s: float = 600.0,
        max_concurrent_fetches: int = 8,
        assembly_slots: asyncio.Semaphore | None = None,
    ) -> None:
        for binary in (ffmpeg, ffprobe):
            if shutil.which(binary) is None:
                raise FFmpegNotFoundError(
                    f"FFmpeg is required: {binary!r} was not found on PATH",
                    details="install FFmpeg (e.g. apt-get install ffmpeg) or set CHOREO_FFMPEG",
                )
        self.storage = storage
        self.work_root = Path(work_root)
        self.video_format = video_format or VideoFormat()
        self.audio_format = audio_format or AudioFormat()
        self.commands = FFmpegCommandBuilder(ffmpeg, ffprobe)
        self.timeout_s = timeout_s
        self._fetch_slots = asyncio.Semaphore(max_concurrent_fetches)
        self._assembly_slots = assembly_slots

    async def ffmpeg_version(self) -> str:
        """The first line of ``ffmpeg -version``; FFmpegNotFoundError if it does not run."""
        result = await run_process(self.commands.version(), stage="setup", timeout=10)
        return result.stdout.splitlines()[0] if result.stdout else "unknown"

    async def assemble(
        self,
        blueprint: Blueprint,
        *,
        on_progress: ProgressReporter | None = None,
        clip_hints: Mapping[str, ClipHint] | None = None,
    ) -> AssemblyResult:
        """Assemble ``blueprint`` within the time budget; AssemblyTimeoutError names the stage."""
        state = _State()
        try:
            return await asyncio.wait_for(
                self._assemble_in_slot(blueprint, state, on_progress, clip_hints or {}),
                self.timeout_s,
            )
        except TimeoutError:
            raise AssemblyTimeoutError(
                f"assembly timed out after {self.timeout_s:g} s while {state.stage}",
                stage=state.stage,
            ) from None

    async def _assemble_in_slot(self, blueprint, state, on_progress, clip_hints) -> AssemblyResult:
        if self._assembly_slots is None:
            return await self._assemble(blueprint, state, on_progress, clip_hints)
        async with self._assembly_slots:
            return await self._assemble(blueprint, state, on_progress, clip_hints)

    async def _assemble(
        self,
        blueprint: Blueprint,
        state: _State,
        on_progress: ProgressReporter | None,
        clip_hints: Mapping[str, ClipHint],
    ) -> AssemblyResult:
        timings: dict[str, float] = {}
        stage_started = time.monotonic()

        async def enter(stage: str, message: str) -> None:
            nonlocal stage_started
            now = time.monotonic()
            timings[state.stage] = round(now - stage_started, 4)
            stage_started = now
            state.stage = stage
            await _report(on_progress, stage, STAGE_PROGRESS[stage], message)

        async with work_dir(self.work_root, "assembly-") as work:
            await enter("fetching", f"fetching {len(blueprint.moves)} clips and the song")
            local = await self._fetch_all(blueprint, work)
            clips, normalized = await self._prepare_clips(blueprint, local, work, clip_hints)
            song = await probe(
                local[blueprint.audio_path], self.commands, count_frames=False, stage="fetching"
            )

            await enter("concatenating", f"joining {len(blueprint.moves)} segments")
            fps = self.video_format.fps
            segments = _segments(blueprint, clips, fps)
            list_path = work / "segments.ffconcat"
            await asyncio.to_thread(list_path.write_text, concat_list(segments, fps))
            joined = work / "joined.mp4"
            total = blueprint.total_duration
            await run_process(
                self.commands.concat_copy(list_path, joined),
                stage="concatenating",
                on_progress=_scaled(on_progress, "concatenating", 50, 70, total),
            )

            await enter("adding_audio", "laying the song under the video")
            output = work / "output.mp4"
            copy_audio = song.is_canonical_song(self.audio_format)
            if not copy_audio:
                logger.warning(
                    "song %s is not AAC: encoding its audio (slow path)", blueprint.audio_path
                )
            await run_process(
                self.commands.add_audio(
                    joined,
                    local[blueprint.audio_path],
                    output,
                    duration=total,
                    copy_audio=copy_audio,
                    audio_codec=blueprint.output_config.audio_codec,
                    audio_bitrate=blueprint.output_config.audio_bitrate,
                ),
                stage="adding_audio",
                on_progress=_scaled(on_progress, "adding_audio", 70, 85, total),
            )
            result_info = await probe(
                output, self.commands, count_frames=False, stage="adding_audio"
            )

            await enter("uploading", "storing the video")
            key = blueprint.output_config.output_path
            size = (await asyncio.to_thread(output.stat)).st_size
            upload_started = time.monotonic()
            try:
                await self.storage.upload(output, key)
            except StorageError as exc:
                raise UploadError(
                    f"upload of the video to {key!r} failed", details=str(exc)
                ) from exc
            logger.info(
                "uploaded %s to %s storage: %.2f MB in %.3f s",
                key,
                self.storage.backend,
                size / 1e6,
                time.monotonic() - upload_started,
            )

            await enter("cleanup", "removing temporary files")
            await remove_tree(work)
            await enter("completed", "video ready")
            logger.info(
                "assembled %s: %d segments, %.2f s of video, stages %s, slow-path inputs %s",
                key,
                len(segments),
                result_info.duration,
                timings,
                normalized,
            )
            return AssemblyResult(
                output_key=key,
                duration_seconds=round(result_info.duration, 3),
                frames=round(total * fps),
                size_bytes=size,
                stage_seconds=timings,
                normalized_inputs=normalized,
            )

    async def _fetch_all(self, blueprint: Blueprint, work: Path) -> dict[str, Path]:
        """Make every input readable on local disk, concurrently with a bounded fan-out."""
        keys = list(dict.fromkeys([blueprint.audio_path, *(m.video_path for m in blueprint.moves)]))
        inputs = work / "inputs"
        await asyncio.to_thread(inputs.mkdir)
        local: dict[str, Path] = {}

        async def fetch(index: int, key: str) -> None:
            async with self._fetch_slots:
                try:
                    path = await self.storage.local_path(key)
                    if path is None:
                        path = inputs / f"{index:04d}{Path(key).suffix}"
                        await self.storage.download(key, path)
                except ObjectNotFoundError as exc:
                    raise InputNotFoundError(
                        f"source file not found: {key}", key=key, details=str(exc)
                    ) from exc
                except StorageError as exc:
                    raise InputFetchError(
                        f"could not fetch source file {key}", key=key, details=str(exc)
                    ) from exc
                local[key] = path

        started = time.monotonic()
        await _gather_or_cancel(fetch(i, key) for i, key in enumerate(keys))
        downloaded = [path for path in local.values() if path.is_relative_to(inputs)]
        sizes = await asyncio.gather(*(asyncio.to_thread(p.stat) for p in downloaded))
        logger.info(
            "fetched %d inputs from %s storage (%d downloaded, %.2f MB) in %.3f s",
            len(keys),
            self.storage.backend,
            len(downloaded),
            sum(stat.st_size for stat in sizes) / 1e6,
            time.monotonic() - started,
        )
        return local

    async def _prepare_clips(
        self,
        blueprint: Blueprint,
        local: dict[str, Path],
        work: Path,
        hints: Mapping[str, ClipHint],
    ) -> tuple[dict[str, tuple[Path, int]], list[str]]:
        """Frame count and a canonical local path per clip, normalizing only what is not canonical."""
        keys = list(dict.fromkeys(m.video_path for m in blueprint.moves))
        clips: dict[str, tuple[Path, int]] = {}
        normalized: list[str] = []

        async def prepare(index: int, key: str) -> None:
            hint = hints.get(key)
            if hint is not None and hint.canonical:
                clips[key] = (local[key], hint.frames)
                return
            async with self._fetch_slots:
                info = await probe(local[key], self.commands, stage="fetching")
                if info.is_canonical_clip(self.video_format):
                    clips[key] = (local[key], info.video.frames)  # type: ignore[union-attr]
                    return
                logger.warning("clip %s is not canonical: re-encoding it (slow path)", key)
                target = work / f"normalized-{index:04d}.mp4"
                await run_process(
                    self.commands.normalize_clip(local[key], target, self.video_format),
                    stage="fetching",
                )
                info = await probe(target, self.commands, stage="fetching")
                clips[key] = (target, info.video.frames)  # type: ignore[union-attr]
                normalized.append(key)

        await _gather_or_cancel(prepare(i, key) for i, key in enumerate(keys))
        return clips, sorted(normalized)


def _segments(blueprint: Blueprint, clips: dict[str, tuple[Path, int]], fps: int) -> list[Segment]:
    """Frame-exact segments; a move longer than its clip loops the clip rather than freeze."""
    ends = [m.start_time + m.duration for m in blueprint.moves]
    segments: list[Segment] = []
    for move, frames in zip(blueprint.moves, frames_for_timeline(ends, fps), strict=True):
        path, available = clips[move.video_path]
        while frames > 0:
            take = min(frames, available)
            segments.append(Segment(path, take))
            frames -= take
    return segments


async def _report(
    reporter: ProgressReporter | None, stage: str, percent: int, message: str
) -> None:
    if reporter is None:
        return
    outcome = reporter(stage, percent, message)
    if inspect.isawaitable(outcome):
        await outcome


def _scaled(reporter: ProgressReporter | None, stage: str, low: int, high: int, total: float):
    """Map FFmpeg's seconds-written onto the stage's share of the progress bar."""
    if reporter is None or total <= 0:
        return None
    last = [low]

    def on_seconds(seconds: float) -> Awaitable[None] | None:
        percent = low + int((high - low - 1) * min(1.0, seconds / total))
        if percent <= last[0]:
            return None
        last[0] = percent
        return reporter(stage, percent, f"{stage} {seconds:.1f}/{total:.1f} s")

    return on_seconds


async def _gather_or_cancel(coros) -> None:
    """Run coroutines concurrently; the first failure cancels the rest and propagates as itself."""
    try:
        async with asyncio.TaskGroup() as group:
            for coro in coros:
                group.create_task(coro)
    except BaseExceptionGroup as grouped:
        first = grouped.exceptions[0]
        raise first  # noqa: B904 -- keeps its own __cause__ (e.g. the storage error it translates)
