"""VideoAssemblyService with real FFmpeg and a real local store (no Django involved)."""

import asyncio
import shutil

import pytest

from assembly import Blueprint, ClipHint, FFmpegCommandBuilder, VideoAssemblyService
from assembly.errors import (
    AssemblyTimeoutError,
    BlueprintError,
    FFmpegError,
    FFmpegNotFoundError,
    InputNotFoundError,
)
from assembly.media import elementary_stream
from storage import LocalStorage
from tests.conftest import CLIP_FRAMES, FMT
from tests.helpers import (
    child_ffmpeg_pids,
    decode_errors,
    frame_hashes,
    make_phone_clip,
    make_song,
    streams,
)


@pytest.fixture
def store(tmp_path, canonical_clips, song_file, long_song_file):
    store = LocalStorage(tmp_path / "store")
    root = store.root
    (root / "clips").mkdir(parents=True)
    for i, clip in enumerate(canonical_clips):
        shutil.copy(clip, root / "clips" / f"{i}.mp4")
    (root / "songs").mkdir()
    shutil.copy(song_file, root / "songs" / "song.m4a")
    shutil.copy(long_song_file, root / "songs" / "long.m4a")
    return store


@pytest.fixture
def service(store, tmp_path):
    return VideoAssemblyService(store, work_root=tmp_path / "work", video_format=FMT)


def plan(
    durations, clips=None, audio="songs/song.m4a", task="t", move_fields=None, output_fields=None
):
    """A contiguous blueprint; ``move_fields`` go into every move, ``output_fields`` into the
    output config."""
    clips = clips or [f"clips/{i % len(CLIP_FRAMES)}.mp4" for i in range(len(durations))]
    moves, t = [], 0.0
    for clip, duration in zip(clips, durations, strict=True):
        moves.append(
            {
                "video_path": clip,
                "start_time": round(t, 6),
                "duration": duration,
                **(move_fields or {}),
            }
        )
        t = round(t + duration, 6)
    return Blueprint.parse(
        {
            "task_id": task,
            "audio_path": audio,
            "moves": moves,
            "output_config": {"output_path": f"out/{task}.mp4", **(output_fields or {})},
        }
    )


async def test_forty_joins_are_frame_exact_and_decode_cleanly(service, store, tmp_path):
    """42 segments of odd lengths: frame count exact, no DTS errors, audio/video aligned."""
    durations = [round((11 + (i * 7) % 23) / 30 + 0.013, 6) for i in range(42)]
    blueprint = plan(durations, audio="songs/long.m4a")
    progress: list[tuple[str, int]] = []
    result = await service.assemble(blueprint, on_progress=lambda s, p, m: progress.append((s, p)))

    out = store.root / result.output_key
    info = streams(out)
    expected_frames = round(blueprint.total_duration * FMT.fps)
    assert info["video"]["codec_name"] == "h264"
    assert info["audio"]["codec_name"] == "aac"
    assert int(info["video"]["nb_read_packets"]) == expected_frames == result.frames
    assert decode_errors(out) == ""
    assert abs(float(info["video"]["duration"]) - float(info["audio"]["duration"])) <= 1 / FMT.fps
    percents = [p for _, p in progress]
    assert percents == sorted(percents) and percents[-1] == 100
    stages = list(dict.fromkeys(s for s, _ in progress))
    assert stages == [
        "fetching", "concatenating", "adding_audio", "uploading", "cleanup", "completed"
    ]  # fmt: skip
    assert result.normalized_inputs == []
    assert list((tmp_path / "work").iterdir()) == []


async def test_move_longer_than_its_clip_loops_the_clip(service, store):
    """A move longer than its clip repeats the clip instead of freezing or leaving a gap."""
    blueprint = plan([5.0], clips=["clips/1.mp4"])  # clip 1 has 47 frames (1.57 s)
    result = await service.assemble(blueprint)
    out = store.root / result.output_key
    assert int(streams(out)["video"]["nb_read_packets"]) == 150
    assert decode_errors(out) == ""


async def test_trim_end_cuts_the_clip_there_and_loops_the_shorter_part(service, store):
    """trim_end is seconds cut from the clip's end: 31/30 s of a 61-frame clip leaves its
    first 30 frames, which loop to fill the move."""
    whole = await service.assemble(plan([2.0], clips=["clips/0.mp4"], task="whole"))
    trimmed = await service.assemble(
        plan(
            [2.0],
            clips=["clips/0.mp4"],
            task="trimmed",
            move_fields={"trim_start": 0.0, "trim_end": 31 / 30, "original_duration": 61 / 30},
            output_fields={"frame_rate": 30},
        )
    )
    whole_frames = frame_hashes(store.root / whole.output_key)
    trimmed_frames = frame_hashes(store.root / trimmed.output_key)
    assert len(whole_frames) == len(trimmed_frames) == trimmed.frames == 60
    assert trimmed_frames[:30] == whole_frames[:30]
    assert trimmed_frames[30:] == whole_frames[:30]  # frame 30 is the clip's frame 0 again
    assert whole_frames[30:] != whole_frames[:30]
    assert decode_errors(store.root / trimmed.output_key) == ""


async def test_a_frame_rate_other_than_the_librarys_is_refused_before_any_io(
    service, store, tmp_path
):
    """output_config.frame_rate 25 against 30 fps clips is a BlueprintError; nothing is fetched."""
    blueprint = plan([1.0], output_fields={"frame_rate": 25})
    with pytest.raises(BlueprintError, match=r"output_config\.frame_rate is 25 fps") as caught:
        await service.assemble(blueprint)
    assert caught.value.stage == "validation"
    assert "set it to 30" in caught.value.details
    assert not (tmp_path / "work").exists()
    assert not (store.root / "out").exists()


async def test_stored_streams_are_used_when_hinted(service, store, tmp_path):
    """With the library's stored elementary streams as hints, no MP4 is fetched or probed."""
    builder = FFmpegCommandBuilder()
    hints = {}
    for i, frames in enumerate(CLIP_FRAMES):
        stream = await elementary_stream(
            store.root / "clips" / f"{i}.mp4", tmp_path / f"{i}.h264", builder
        )
        assert stream.frames == frames
        await store.upload(stream.path, f"streams/{i}.h264")
        hints[f"clips/{i}.mp4"] = ClipHint(f"streams/{i}.h264", stream.offsets)
        (store.root / "clips" / f"{i}.mp4").unlink()  # prove the MP4 is not needed
    blueprint = plan([1.0, 1.2, 0.9, 2.5])
    result = await service.assemble(blueprint, clip_hints=hints)
    out = store.root / result.output_key
    assert int(streams(out)["video"]["nb_read_packets"]) == 168
    assert decode_errors(out) == ""


async def test_non_canonical_inputs_take_the_fallback_path(service, store, media_dir):
    """A phone-like clip (B-frames, audio, other size) and an MP3 song are re-encoded, and say so."""
    make_phone_clip(store.root / "clips" / "phone.mp4", 2.0)
    make_song(store.root / "songs" / "song.mp3", 3.0, ("-c:a", "libmp3lame"))
    blueprint = plan([1.0, 1.5], clips=["clips/phone.mp4", "clips/0.mp4"], audio="songs/song.mp3")
    result = await service.assemble(blueprint)
    out = store.root / result.output_key
    info = streams(out)
    assert result.normalized_inputs == ["clips/phone.mp4"]
    assert (info["video"]["width"], info["video"]["height"]) == (FMT.width, FMT.height)
    assert info["audio"]["codec_name"] == "aac"
    assert int(info["video"]["nb_read_packets"]) == 75
    assert decode_errors(out) == ""


async def test_missing_input_names_the_key_and_cleans_up(service, tmp_path):
    """A missing clip fails at fetching with the key, leaving no temp dir."""
    with pytest.raises(InputNotFoundError, match=r"clips/nope\.mp4") as caught:
        await service.assemble(plan([1.0], clips=["clips/nope.mp4"]))
    assert caught.value.stage == "fetching"
    assert list((tmp_path / "work").iterdir()) == []


async def test_corrupt_clip_fails_with_stderr_and_leaves_nothing(service, store, tmp_path):
    """A corrupt clip is an FFmpeg/probe error with FFmpeg's words; no child, no temp dir."""
    (store.root / "clips" / "bad.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"junk" * 100)
    with pytest.raises((FFmpegError, Exception)) as caught:
        await service.assemble(plan([1.0], clips=["clips/bad.mp4"]))
    assert caught.value.stage == "fetching"
    assert caught.value.details
    assert child_ffmpeg_pids() == []
    assert list((tmp_path / "work").iterdir()) == []


async def test_timeout_names_the_stage_and_cleans_up(store, tmp_path):
    """A tiny budget raises AssemblyTimeoutError with the stage; no child, no temp dir."""
    service = VideoAssemblyService(
        store, work_root=tmp_path / "work", video_format=FMT, timeout_s=0.05
    )
    durations = [0.5] * 400
    with pytest.raises(AssemblyTimeoutError, match="timed out") as caught:
        await service.assemble(plan(durations))
    assert caught.value.stage in {"fetching", "concatenating", "adding_audio"}
    assert child_ffmpeg_pids() == []
    assert list((tmp_path / "work").iterdir()) == []


async def test_cancellation_mid_assembly_leaves_nothing(service, tmp_path):
    """Cancelling the assembly (client gone) kills FFmpeg and removes the work dir."""
    task = asyncio.create_task(service.assemble(plan([0.5] * 400)))
    for _ in range(500):
        await asyncio.sleep(0.005)
        if child_ffmpeg_pids():
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert child_ffmpeg_pids() == []
    assert list((tmp_path / "work").iterdir()) == []


def test_missing_ffmpeg_is_a_clear_error_when_the_service_is_built(store, tmp_path):
    """Building the service without FFmpeg on PATH raises FFmpegNotFoundError."""
    with pytest.raises(FFmpegNotFoundError, match="FFmpeg is required"):
        VideoAssemblyService(store, work_root=tmp_path, ffmpeg="/nonexistent/ffmpeg")


def test_poster_command_seeks_then_takes_one_jpeg_frame(tmp_path):
    """A poster is one MJPEG frame at the given time, the seek made on an input of its own (the
    stream copy in the same run reads the clip from its start)."""
    builder = FFmpegCommandBuilder()
    clip, poster = tmp_path / "c.mp4", tmp_path / "p.jpg"
    argv = builder.to_annexb(clip, tmp_path / "c.h264", tmp_path / "c.crc", poster=(poster, 1.25))
    assert argv[: len(builder.base_args()) + 6] == [
        *builder.base_args(), "-i", str(clip), "-ss", "1.250", "-i", str(clip),
    ]  # fmt: skip
    assert argv[argv.index("1:v:0") - 1 :] == [
        "-map", "1:v:0", "-frames:v", "1", "-q:v", "3", "-f", "image2", "-c:v", "mjpeg",
        "-pix_fmt", "yuvj420p", "-update", "1", str(poster),
    ]  # fmt: skip


def seed_document(task: str) -> dict:
    """A blueprint exactly as the seed system's generator writes one: every field, several moves,
    a crossfade after the first, trims in seconds from each end (0 = none), per-move volume."""

    def move(n, clip, start, duration, original, transition, trims=(0.0, 0.0), volume=1.0):
        return {
            "clip_id": f"move_{n}",
            "video_path": clip,
            "start_time": start,
            "duration": duration,
            "transition_type": transition,
            "original_duration": original,
            "trim_start": trims[0],
            "trim_end": trims[1],
            "volume_adjustment": volume,
        }

    return {
        "task_id": task,
        "audio_path": "songs/song.m4a",
        "audio_tempo": 120.0,
        "total_duration": 4.5,
        "difficulty_level": "intermediate",
        "generation_timestamp": "2024-05-01T12:00:00.000000",
        "generation_parameters": {"energy_level": "medium", "style": "romantic", "duration": 4.5},
        "moves": [
            move(1, "clips/0.mp4", 0.0, 1.0, 61 / 30, "cut"),
            move(2, "clips/4.mp4", 1.0, 1.0, 3.0, "crossfade", trims=(2.0, 0.0), volume=0.5),
            move(3, "clips/2.mp4", 2.0, 1.5, 2.5, "cut", trims=(0.0, 1.5)),
            move(4, "clips/1.mp4", 3.5, 1.0, 47 / 30, "crossfade", volume=0.0),
        ],
        "output_config": {
            "output_path": f"out/{task}.mp4",
            "output_format": "mp4",
            "video_codec": "libx264",
            "audio_codec": "aac",
            "video_bitrate": "2M",
            "audio_bitrate": "128k",
            "frame_rate": 30,
            "transition_duration": 0.5,
            "fade_duration": 0.0,
            "add_audio_overlay": True,
            "normalize_audio": False,
        },
    }


def mean_volume(path, start: float, duration: float) -> float:
    """Mean level (dB) of ``path``'s audio over [start, start + duration)."""
    import re
    import subprocess

    result = subprocess.run(
        [
            "ffmpeg", "-nostdin", "-hide_banner", "-ss", str(start), "-t", str(duration),
            "-i", str(path), "-map", "0:a:0", "-af", "volumedetect", "-f", "null", "-",
        ],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return float(re.search(r"mean_volume: (-?[\d.]+|-inf) dB", result.stderr).group(1))


async def test_a_seed_system_blueprint_assembles_with_its_trims_and_volumes(
    service, store, canonical_clips
):
    """The seed system's document, verbatim: it assembles; each move plays its clip without the
    seconds trimmed from each end; the crossfade is a cut; the song's volume follows each move."""
    blueprint = Blueprint.parse(seed_document("seed"))
    result = await service.assemble(blueprint)
    out = store.root / result.output_key

    info = streams(out)
    assert info["video"]["codec_name"] == "h264" and info["audio"]["codec_name"] == "aac"
    assert int(info["video"]["nb_read_packets"]) == result.frames == 135
    assert abs(float(info["audio"]["duration"]) - 4.5) < 0.05
    assert decode_errors(out) == ""

    frames = frame_hashes(out)
    clip0, clip4, clip2, clip1 = (frame_hashes(canonical_clips[i]) for i in (0, 4, 2, 1))
    assert frames[:30] == clip0[:30]  # no trims: from the clip's first frame
    assert frames[30:60] == clip4[60:90]  # trim_start 2.0 s: from frame 60 (a keyframe); a cut
    assert frames[60:90] == clip2[:30]  # trim_end 1.5 s of a 2.5 s clip: its first second...
    assert frames[90:105] == clip2[:15]  # ...looped to fill the 1.5 s move
    assert frames[105:135] == clip1[:30]

    song = store.root / "songs" / "song.m4a"
    assert mean_volume(out, 0.1, 0.8) == pytest.approx(mean_volume(song, 0.1, 0.8), abs=0.5)
    assert mean_volume(out, 1.1, 0.8) == pytest.approx(mean_volume(song, 1.1, 0.8) - 6.0, abs=0.5)
    assert mean_volume(out, 2.1, 1.3) == pytest.approx(mean_volume(song, 2.1, 1.3), abs=0.5)
    assert mean_volume(out, 3.6, 0.8) < -80  # volume_adjustment 0.0: silent


async def test_a_start_trim_lands_on_the_nearest_keyframe(service, store, canonical_clips):
    """trim_start 1.8 s (frame 54) starts the copy at the keyframe at frame 60, the nearest."""
    result = await service.assemble(
        plan([0.5], clips=["clips/4.mp4"], task="near", move_fields={"trim_start": 1.8})
    )
    frames = frame_hashes(store.root / result.output_key)
    assert frames == frame_hashes(canonical_clips[4])[60:75]


async def test_trims_longer_than_the_actual_clip_are_refused(service, store, tmp_path):
    """Trims that leave nothing of the clip as stored (61 frames) are a BlueprintError naming
    the move, even when the blueprint declares no original_duration."""
    blueprint = plan([1.0, 1.0], move_fields={"trim_start": 1.0, "trim_end": 1.1}, task="too-much")
    with pytest.raises(BlueprintError, match=r"moves\.0: trim_start and trim_end leave nothing"):
        await service.assemble(blueprint)
    assert not (store.root / "out").exists()


async def test_all_volumes_at_one_keep_the_song_a_copy(service, store, monkeypatch):
    """volume_adjustment 1.0 everywhere is the fast path: the song is copied, not encoded."""
    seen: list[list[str]] = []
    real_mux = service.commands.mux
    monkeypatch.setattr(
        service.commands, "mux", lambda *a, **k: seen.append(real_mux(*a, **k)) or seen[-1]
    )
    await service.assemble(plan([1.0], move_fields={"volume_adjustment": 1.0}, task="fast"))
    assert "-af" not in seen[0]
    assert seen[0][seen[0].index("-c:a") + 1] == "copy"
