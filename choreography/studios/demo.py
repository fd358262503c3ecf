"""The demo studio: the instructor's flow already done once, so a first visit shows it working.

``create_demo_studio`` makes the ``demo`` user the instructor of "Demo Studio" (a request,
approved), films a few moves the cheap way (the demo library's drawn couple, plus a click track
at a known tempo after a short lead-in, encoded as a phone would: H.264 and AAC, one of them
portrait) and takes each through the real upload pipeline: ``upload_move`` (quota, probe, tempo
and beat grid detected from the sound, the proposed cut on count 1, posters), then the cut saved
as proposed (``cut_and_normalize``) and the move marked ready. A ``student`` joins with an invite.

Its moves' tempo variants are left to the server's warm-up (``warm_library`` renders every
move's), as the demo library's are. Idempotent: what exists is kept, so a second run does
nothing. It takes the runtime it runs in and hands it to the pieces it calls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model

from assembly import FFmpegCommandBuilder, run_process, work_dir
from choreography.library.demo import SAMPLE_RATE, DemoSong, song_samples
from choreography.library.figures import FIGURES
from choreography.library.stage import PIX_FMT, Stage
from choreography.library.uploaded_moves import MoveLabels, cut_and_normalize, load_analysis
from choreography.music.catalog import slugify
from choreography.runtime import Runtime
from choreography.studios import services, uploads
from choreography.studios.models import (
    InstructorRequest,
    Membership,
    RequestStatus,
    Studio,
    StudioMove,
    StudioMoveStatus,
)

logger = logging.getLogger(__name__)

INSTRUCTOR = "demo"
STUDENT = "student"
STUDIO_NAME = "Demo Studio"
STUDIO_ABOUT = "Moves filmed for the demo: uploaded, cut on count 1, ready to dance"
LEAD_IN_S = 0.75
"""The dancers stand still this long before count 1, as in a real recording."""
TAIL_S = 1.0
RENDER_FPS = 12
"""Frames drawn per second; FFmpeg repeats them up to the clip's rate (as the demo does)."""


@dataclass(frozen=True)
class DemoStudioMove:
    filename: str
    """What the phone's file would be called: the labels are guessed from it as for any upload."""
    figure: str
    bpm: float
    difficulty: str
    portrait: bool = False


DEMO_STUDIO_MOVES = (  # one 8-count each, kept short: the demo's start-up waits for them
    DemoStudioMove("outside turn.mp4", "outside-turn", 124.0, "intermediate"),
    DemoStudioMove("body wave.mp4", "body-wave", 132.0, "intermediate"),
    DemoStudioMove("basic step.mp4", "basic-step", 116.0, "beginner", portrait=True),
)


@dataclass(frozen=True)
class DemoStudio:
    studio: Studio
    created_moves: int
    """Moves made by this run (0 on a second run)."""
    student_joined: bool


async def create_demo_studio(
    *,
    runtime: Runtime,
    moves: tuple[DemoStudioMove, ...] = DEMO_STUDIO_MOVES,
    size: tuple[int, int] = (640, 360),
    fps: int = 30,
) -> DemoStudio:
    """Make (or complete) the demo studio; returns it and what this run created.

    ``size`` is the landscape clips' frame (a portrait one is the same turned upright).
    """
    users = get_user_model()
    instructor, _ = await users.objects.aget_or_create(username=INSTRUCTOR)
    student, _ = await users.objects.aget_or_create(username=STUDENT)
    studio = await _open_studio(instructor)
    # Side by side (each is mostly FFmpeg); a TaskGroup: one failure cancels the others.
    async with asyncio.TaskGroup() as group:
        made = [
            group.create_task(_ensure_move(runtime, instructor, studio, spec, size=size, fps=fps))
            for spec in moves
        ]
    created = sum(task.result() for task in made)
    joined = False
    if not await Membership.objects.filter(studio=studio, user=student).aexists():
        code = await services.renew_invite(user=instructor, studio_id=studio.pk)
        await services.join(user=student, code=code)
        joined = True
    if created or joined:
        logger.info("demo studio %s: %d moves made, student joined: %s", studio.pk, created, joined)
    return DemoStudio(studio, created, joined)


async def _open_studio(instructor) -> Studio:
    """The instructor's studio; else their request (asked now if need be) approved."""
    studio = await Studio.objects.filter(instructor=instructor).afirst()
    if studio is not None:
        return studio
    pending = await InstructorRequest.objects.filter(
        user=instructor, status=RequestStatus.PENDING
    ).afirst()
    if pending is None:
        pending = await InstructorRequest.objects.acreate(
            user=instructor, studio_name=STUDIO_NAME, about=STUDIO_ABOUT
        )
    await sync_to_async(services.decide)(pending.pk, approve=True, staff=None)
    return await Studio.objects.aget(instructor=instructor)


async def _ensure_move(
    runtime: Runtime,
    instructor,
    studio: Studio,
    spec: DemoStudioMove,
    *,
    size: tuple[int, int],
    fps: int,
) -> int:
    """1 when this run made the move ready, 0 when it already was."""
    label = label_of(spec)
    move = await StudioMove.objects.filter(studio=studio, label=label).afirst()
    if move is not None and move.status == StudioMoveStatus.READY:
        return 0
    if move is None:
        width, height = size[::-1] if spec.portrait else size
        async with work_dir(runtime.work_root, "demo-studio-") as work:
            path = await film(runtime, spec, work / spec.filename, width, height, fps)
            move, analysis = await uploads.upload_move(
                user=instructor,
                studio_id=studio.pk,
                path=path,
                filename=spec.filename,
                labels={"label": label, "difficulty": spec.difficulty},
                runtime=runtime,
            )
    else:  # uploaded by an earlier run that stopped before the cut
        analysis = await load_analysis(move.content_hash, runtime=runtime)
    cut = analysis.proposed  # count 1 and the whole 8-counts after it, as the page proposes
    labels = MoveLabels(
        name=slugify(f"studio-{studio.pk}-{move.label}")[:90] or f"studio-{move.pk}",
        label=move.label,
        difficulty=move.difficulty,
        energy_level=move.energy_level,
        style=move.style,
        role=move.role,
    )
    clip, _ = await cut_and_normalize(analysis, cut, labels=labels, warm=False, runtime=runtime)
    clip_bytes = await runtime.storage.size(clip.clip_key)
    await StudioMove.objects.filter(pk=move.pk).aupdate(
        clip=clip,
        clip_bytes=clip_bytes,
        start_seconds=cut.start_seconds,
        counts=cut.counts,
        status=StudioMoveStatus.READY,
        failure="",
    )
    return 1


def label_of(spec: DemoStudioMove) -> str:
    return Path(spec.filename).stem.replace("-", " ").title()


# Filming ----------------------------------------------------------------------------------


async def film(
    runtime: Runtime, spec: DemoStudioMove, output: Path, width: int, height: int, fps: int
) -> Path:
    """A phone-like recording of ``spec``: the couple still for a lead-in, then the figure on
    a click track's beats (count 1 accented), H.264 + AAC at ``fps``."""
    config = runtime.config
    builder = FFmpegCommandBuilder(config.ffmpeg, config.ffprobe)
    figure = FIGURES[spec.figure]
    seconds = LEAD_IN_S + figure.counts * 60.0 / spec.bpm + TAIL_S
    sound = output.with_suffix(".f32")
    samples = song_samples(DemoSong("", "", spec.bpm, seconds, intro=LEAD_IN_S))
    await asyncio.to_thread(sound.write_bytes, samples.tobytes())
    stage = await asyncio.to_thread(Stage, width, height)
    if height > width:  # upright: the couple scaled to the frame's width, not its height
        stage.unit, stage.floor_y = width / 3.4, height * 0.8
    command = [
        *builder.base_args(),
        "-f", "rawvideo", "-pix_fmt", PIX_FMT, "-s", f"{width}x{height}",
        "-framerate", str(RENDER_FPS), "-i", "pipe:0",
        "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", str(sound),
        "-vf", f"fps={fps},format=yuv420p",
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "26",
        "-c:a", "aac", "-b:a", "96k", "-shortest", "-movflags", "+faststart",
        str(output),
    ]  # fmt: skip
    await run_process(command, stage="demo", stdin=_frames(stage, spec, seconds=seconds))
    return output


async def _frames(stage: Stage, spec: DemoStudioMove, *, seconds: float) -> AsyncIterator[bytes]:
    figure = FIGURES[spec.figure]
    total = round(seconds * RENDER_FPS)

    def draw(index: int) -> bytes:
        beat = (index / RENDER_FPS - LEAD_IN_S) * spec.bpm / 60.0
        beat = min(max(beat, 0.0), figure.counts - 1e-6)
        return stage.frame(figure, beat).tobytes()

    for start in range(0, total, 6):
        batch = await asyncio.to_thread(
            lambda s=start: [draw(i) for i in range(s, min(s + 6, total))]
        )
        for frame in batch:
            yield frame
