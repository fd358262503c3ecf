"""VideoAssemblyService: blueprint in, finished video in storage out.

Fast path (every input canonical, as the library stores them): each clip's elementary stream is
cut at frame boundaries and the byte ranges are joined by the kernel (see elementary.py); one
FFmpeg pass then wraps them in MP4 with the song's AAC by stream copy: no encoding at all.
A clip without a stored stream is rewrapped (a copy) or, if not canonical, normalized first
(logged as the slow path); a song that is not AAC is encoded.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import shutil
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from assembly.blueprint import Blueprint
from assembly.commands import FFmpegCommandBuilder, frames_for_timeline, volume_filter
from assembly.elementary import ByteRange, join_ranges, keyframe_near, ranges_for
from assembly.errors import (
    AssemblyTimeoutError,
    BlueprintError,
    ChoreoError,
    FFmpegNotFoundError,
    InputFetchError,
    InputNotFoundError,
    UploadError,
)
from assembly.formats import AudioFormat, VideoFormat
from assembly.media import ElementaryStream, elementary_stream
from assembly.probe import probe
from assembly.runner import run_process
from assembly.tasks import gather_or_cancel
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
    """What the library stored for a clip at import: its elementary stream and frame index.

    With a hint the assembly fetches ``stream_key`` instead of the MP4 and probes nothing.
    """

    stream_key: str
    offsets: tuple[int, ...]

    @property
    def frames(self) -> int:
        return len(self.offsets) - 1


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
        audio_is_canonical: bool = False,
    ) -> AssemblyResult:
        """Assemble ``blueprint`` within the time budget; AssemblyTimeoutError names the stage.

        The budget starts now: callers that limit concurrency (the app's admission gate) wait
        for their slot before calling, so waiting never eats into it. ``clip_hints`` and ``audio_is_canonical`` pass on what the library knows from import,
        so nothing is probed; without them every input is checked and normalized if needed.
        A frame rate other than the library's is a BlueprintError, before any I/O.
        """
        blueprint.output_config.check_frame_rate(self.video_format.fps)
        state = _State()
        try:
            return await asyncio.wait_for(
                self._assemble(blueprint, state, on_progress, clip_hints or {}, audio_is_canonical),
                self.timeout_s,
            )
        except TimeoutError:
            raise AssemblyTimeoutError(
                f"assembly timed out after {self.timeout_s:g} s while {state.stage}",
                stage=state.stage,
            ) from None

    async def _assemble(
        self,
        blueprint: Blueprint,
        state: _State,
        on_progress: ProgressReporter | None,
        clip_hints: Mapping[str, ClipHint],
        audio_is_canonical: bool,
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
            local = await self._fetch_all(blueprint, work, clip_hints)
            clips, normalized = await self._prepare_clips(blueprint, local, work, clip_hints)
            copy_audio = audio_is_canonical or (
                await probe(
                    local[blueprint.audio_path], self.commands, count_frames=False, stage="fetching"
                )
            ).is_canonical_song(self.audio_format)

            await enter("concatenating", f"joining {len(blueprint.moves)} segments")
            fps = self.video_format.fps
            if any(move.trim_start for move in blueprint.moves):  # keyframes are read from disk
                ranges = await asyncio.to_thread(_byte_ranges, blueprint, clips, fps)
            else:
                ranges = _byte_ranges(blueprint, clips, fps)
            joined = work / "joined.h264"
            stop = threading.Event()
            try:
                await asyncio.to_thread(join_ranges, ranges, joined, stop)
            except OSError as exc:
                raise ChoreoError(
                    "could not join the clips", stage="concatenating", details=str(exc)
                ) from exc
            finally:
                stop.set()  # a cancelled join stops at its next chunk

            await enter("adding_audio", "laying the song under the video")
            output = work / "output.mp4"
            total = blueprint.total_duration
            gains = volume_filter(blueprint.volume_segments())
            if gains is not None:
                logger.info("song volume changes under some moves: encoding its audio")
            elif not copy_audio:
                logger.warning(
                    "song %s is not AAC: encoding its audio (slow path)", blueprint.audio_path
                )
            await run_process(
                self.commands.mux(
                    joined,
                    local[blueprint.audio_path],
                    output,
                    self.video_format,
                    duration=total,
                    copy_audio=copy_audio,
                    audio_codec=blueprint.output_config.audio_codec,
                    audio_bitrate=blueprint.output_config.audio_bitrate,
                    audio_filter=gains,
                    audio_start=blueprint.audio_start or 0.0,
                ),
                stage="adding_audio",
                on_progress=_scaled(on_progress, "adding_audio", 70, 85, total),
            )

            await enter("uploading", "storing the video")
            key = blueprint.output_config.output_path
            size = (await asyncio.to_thread(output.stat)).st_size
            upload_started = time.monotonic()
            try:
                await self.storage.upload(output, key, move=True)
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
                "assembled %s: %d segments, %.2f s of video",
                key,
                len(ranges),
                total,
                extra={"stage_seconds": timings, "slow_path_inputs": normalized},
            )
            return AssemblyResult(
                output_key=key,
                duration_seconds=round(round(total * fps) / fps, 3),
                frames=round(total * fps),
                size_bytes=size,
                stage_seconds=timings,
                normalized_inputs=normalized,
            )

    async def _fetch_all(
        self, blueprint: Blueprint, work: Path, hints: Mapping[str, ClipHint]
    ) -> dict[str, Path]:
        """Make every input readable on local disk, concurrently with a bounded fan-out.

        Hinted clips are fetched as their stored elementary stream, others as the MP4.
        """
        clip_keys = dict.fromkeys(m.video_path for m in blueprint.moves)
        keys = [
            blueprint.audio_path,
            *(hints[k].stream_key if k in hints else k for k in clip_keys),
        ]
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
        await gather_or_cancel(fetch(i, key) for i, key in enumerate(keys))
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
    ) -> tuple[dict[str, ElementaryStream], list[str]]:
        """An indexed elementary stream per clip; only non-canonical clips are re-encoded."""
        keys = list(dict.fromkeys(m.video_path for m in blueprint.moves))
        clips: dict[str, ElementaryStream] = {}
        normalized: list[str] = []

        async def prepare(index: int, key: str) -> None:
            hint = hints.get(key)
            if hint is not None:
                clips[key] = ElementaryStream(local[hint.stream_key], hint.offsets)
                return
            async with self._fetch_slots:
                source = local[key]
                info = await probe(source, self.commands, stage="fetching")
                if not info.is_canonical_clip(self.video_format):
                    logger.warning("clip %s is not canonical: re-encoding it (slow path)", key)
                    source = work / f"normalized-{index:04d}.mp4"
                    await run_process(
                        self.commands.normalize_clip(local[key], source, self.video_format),
                        stage="fetching",
                    )
                    normalized.append(key)
                clips[key] = await elementary_stream(
                    source, work / f"stream-{index:04d}.h264", self.commands, stage="fetching"
                )

        await gather_or_cancel(prepare(i, key) for i, key in enumerate(keys))
        return clips, sorted(normalized)


def _byte_ranges(
    blueprint: Blueprint, clips: dict[str, ElementaryStream], fps: int
) -> list[ByteRange]:
    """Frame-exact byte ranges: each move ends on the frame nearest its planned end time.

    A move plays its clip without the seconds trimmed from each end (the whole clip without
    trims), looped if the move is longer. The end trim is frame-exact; the start trim lands on
    the keyframe nearest it (a copy can start nowhere else). Trims that leave nothing of the
    actual clip are a BlueprintError naming the move.
    """
    ends = [m.start_time + m.duration for m in blueprint.moves]
    ranges: list[ByteRange] = []
    for index, (move, frames) in enumerate(
        zip(blueprint.moves, frames_for_timeline(ends, fps), strict=True)
    ):
        stream = clips[move.video_path]
        head, tail = move.trim_frames(fps)
        limit = stream.frames - tail
        if head >= limit:
            raise BlueprintError(
                f"moves.{index}: trim_start and trim_end leave nothing of {move.video_path!r}",
                details=f"the clip is {stream.frames / fps:.3f}s ({stream.frames} frames); "
                f"trim_start {move.trim_start or 0.0:g}s + trim_end {move.trim_end or 0.0:g}s "
                "must be shorter",
            )
        first = keyframe_near(stream.path, stream.offsets, head, limit) if head else 0
        if first != head:
            logger.info(
                "moves.%d: trim_start %.3fs lands on the keyframe at %.3fs",
                index,
                move.trim_start or 0.0,
                first / fps,
            )
        ranges.extend(ranges_for(stream.path, stream.offsets, frames, limit, first))
    return ranges


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
