"""Tempo variants with real FFmpeg: exact frame counts, moves on the grid, rendered once."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from assembly import FFmpegCommandBuilder, retime_clip
from choreography.generation.singleflight import SingleFlight
from choreography.library.variants import (
    ensure_variants,
    needed_for_song,
    render_variant,
    warm_song,
)
from choreography.models import Move, MoveVariant
from choreography.music.tempo import (
    HELD_FRAMES,
    MAX_GRID_ERROR,
    MAX_RETIME,
    ClipTempo,
    retimed_frames,
    variant_frames,
)
from tests.clients import TokenClient, media_path, start_stream
from tests.conftest import FMT, move_keys, row_fields
from tests.helpers import child_ffmpeg_pids, decode_errors, frame_hashes, make_canonical_clip
from tests.live import KeptImport

pytestmark = pytest.mark.django_db(transaction=True)

CLIP_TEMPOS = (112.5, 120.0, 125.0)
"""Tempos of the test clips; each holds exactly one 8-count at its tempo (about 4 s)."""
SONG_BPM = 118.0
"""Near every clip, and no clip's own tempo."""
FAR = 145.0
"""+29 % for the 112.5 BPM clip: past the old grid's ±17 %, within the ±30 % limit."""
FASTER, SLOWER = 170.0, 75.0
"""Beyond every clip's re-timing limit (±30 %), faster and slower."""


def one_count_frames(bpm: float) -> int:
    return round(8 * 60 / bpm * FMT.fps)


@pytest.fixture(scope="session")
def tempo_clips(media_dir) -> list[Path]:
    return [
        make_canonical_clip(media_dir / f"tempo-{int(t)}.mp4", one_count_frames(t), FMT, hue=h)
        for t, h in zip(CLIP_TEMPOS, (0, 120, 240), strict=True)
    ]


@pytest.fixture
async def tempo_moves(transactional_db, tempo_clips, runtimes) -> list[Move]:
    """The tempo clips as moves: imported through the real import path once per code version,
    then restored (the same rows and stored objects) into each test's database and storage, like
    the ``library`` fixture: these tests are about variants, not importing."""
    from choreography.library.imports import ClipMetadata, import_clip

    runtime = runtimes.current
    kept = KeptImport("imported-tempo-moves", Path(__file__))
    if rows := await kept.restore(runtime.storage):
        return [await Move.objects.acreate(**fields) for fields in rows["moves"]]
    moves = []
    for i, (path, tempo) in enumerate(zip(tempo_clips, CLIP_TEMPOS, strict=True)):
        meta = ClipMetadata(f"tempo-{i}", f"Tempo {i}", "beginner", "medium", "romantic", tempo)
        moves.append((await import_clip(path, meta, runtime=runtime))[0])
    await kept.keep(
        runtime.storage, move_keys(moves), {"moves": [row_fields(move) for move in moves]}
    )
    return moves


async def import_at(
    song_file: Path, bpm: float, *, runtime, warm: bool = True, first_beat: float = 0.0
):
    from choreography.library.imports import import_song

    song, _ = await import_song(
        song_file, title=f"At {bpm:g}", bpm=bpm, first_beat=first_beat, warm=warm, runtime=runtime
    )
    return song


@pytest.fixture
async def client(transactional_db):
    from choreography.accounts.tokens import issue_token

    return TokenClient(await issue_token("alice"))


class Encodes(list):
    """The libx264 commands FFmpeg was started with; ``started`` is set at the first."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()


@pytest.fixture
def encodes(monkeypatch) -> Encodes:
    """Every encoding FFmpeg command from now on (the assembly itself only copies)."""
    import assembly.media
    import assembly.service

    seen = Encodes()
    for module in (assembly.media, assembly.service):
        original = module.run_process

        async def recording(argv, *args, _original=original, **kwargs):
            if "libx264" in argv:
                seen.append(list(argv))
                seen.started.set()
            return await _original(argv, *args, **kwargs)

        monkeypatch.setattr(module, "run_process", recording)
    return seen


async def stored_path(runtime, key: str) -> Path:
    path = await runtime.storage.local_path(key)
    assert path is not None
    return path


@pytest.fixture(scope="module")
def retime_source(media_dir) -> Path:
    """A 61-frame canonical clip, made once for every step re-timed from it."""
    return make_canonical_clip(media_dir / "retime-src.mp4", 61, FMT, hue=10)


@pytest.mark.parametrize("step", [-100, -1, 12, 100])
async def test_a_variant_has_the_frames_its_tempo_implies_and_decodes_cleanly(
    tmp_path, retime_source, step
):
    """Re-timing gives exactly round(frames / 1.01**(step / 4)) frames and the last one held
    once more, a stream FFmpeg decodes without a single error."""
    stream = await retime_clip(
        retime_source,
        tmp_path,
        FMT,
        FFmpegCommandBuilder(),
        frames=61,
        target_frames=retimed_frames(61, step),
        held=HELD_FRAMES,
    )
    assert stream.frames == variant_frames(61, step) == len(frame_hashes(stream.path))
    assert decode_errors(stream.path) == ""
    assert stream.offsets[-1] == stream.path.stat().st_size


async def test_song_import_warms_only_the_variant_each_move_plays(
    tempo_moves, song_file, runtime, encodes
):
    """The variants each move plays in the song (one or two: slots round to different frame
    counts), and only those; stored, indexed, decodable."""
    song = await import_at(song_file, SONG_BPM, runtime=runtime)
    variants = [v async for v in MoveVariant.objects.select_related("move")]
    expected = {(m.pk, s) for m, s in needed_for_song(song, tempo_moves, fps=FMT.fps)}
    assert {(v.move_id, v.step) for v in variants} == expected
    assert {pk for pk, _ in expected} == {m.pk for m in tempo_moves}
    assert len(encodes) == len(expected)
    for variant in variants:
        move = variant.move
        assert variant.frames == variant_frames(move.frames, variant.step)
        assert len(variant.frame_offsets) == variant.frames + 1
        path = await stored_path(runtime, variant.stream_key)
        assert decode_errors(path) == ""
        assert len(frame_hashes(path)) == variant.frames
        # within 1 % (a quarter-percent step, and the slot's rounding to a whole frame)
        assert abs(variant.tempo_bpm / SONG_BPM - 1) <= MAX_GRID_ERROR


async def generate(client, song, seed=1):
    response = await client.post(
        "/api/choreography/generate/",
        {"song_id": song.id, "difficulty": "beginner", "seed": seed},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


async def test_moves_play_at_the_songs_tempo_on_the_grid(
    client, tempo_moves, long_song_file, runtime, encodes
):
    """Each move starts on count 1 of an 8-count, plays the first frames of its variant by copy
    (never looped), and its tempo_error_percent is the tempo it is danced at; a warm library
    encodes nothing during the request."""
    song = await import_at(long_song_file, SONG_BPM, runtime=runtime)
    warmed = len(encodes)
    stored = await MoveVariant.objects.acount()
    body = await generate(client, song)
    assert len(encodes) == warmed  # a pure copy
    assert await MoveVariant.objects.acount() == stored
    await assert_video_follows_the_plan(body, song, tempo_moves, runtime)


async def assert_video_follows_the_plan(body, song, moves, runtime) -> list[float]:
    from choreography.models import ChoreographyTask

    fps, phrase = FMT.fps, 480.0 / song.bpm
    by_name = {m.name: m for m in moves}
    task = await ChoreographyTask.objects.aget(pk=body["task_id"])
    blueprint = task.result["blueprint"]["moves"]
    output = frame_hashes(media_path(body["video_url"]))
    assert len(body["moves"]) == len(blueprint)
    errors = []
    for entry, planned in zip(body["moves"], blueprint, strict=True):
        move = by_name[entry["name"]]
        start, end = entry["start_time"], entry["start_time"] + entry["duration"]
        if entry["start_time"] > 0:
            assert start / phrase == pytest.approx(round(start / phrase), abs=1e-6)  # count 1
        if planned["video_path"] == move.clip_key:
            frames, key = move.frames, move.stream_key
        else:
            label = planned["video_path"].rsplit("-", 1)[1].removesuffix(".h264")
            step = int(label[1:]) * (1 if label[0] == "p" else -1)
            variant = await MoveVariant.objects.aget(move=move, step=step)
            frames, key = variant.frames, variant.stream_key
        played = output[round(start * fps) : round(end * fps)]
        source = frame_hashes(await stored_path(runtime, key))
        assert len(played) <= frames  # trimmed, never looped
        assert played == source[: len(played)]
        truth = 100 * abs(move.tempo_bpm * move.frames / played_frames(move, frames) / song.bpm - 1)
        assert entry["tempo_error_percent"] == pytest.approx(truth, abs=1e-3)
        errors.append(entry["tempo_error_percent"])
        if abs(song.bpm / move.tempo_bpm - 1) <= MAX_RETIME:
            assert truth <= 100 * MAX_GRID_ERROR
    return errors


def played_frames(move, frames: int) -> int:
    """Frames the clip is re-timed to in a stored stream of ``frames`` (a variant holds its
    last frame once more: that frame is not the dance's speed)."""
    return frames if frames == move.frames else frames - HELD_FRAMES


async def test_a_far_off_clip_plays_within_one_percent_from_variants_the_import_warmed(
    client, tempo_moves, long_song_file, runtime, encodes
):
    """The 112.5 BPM clip in a 145 BPM song (+29 %, past the old grid) is re-timed to the
    song's tempo: every move within 1 % in the video (frames counted), nothing encoded during
    the request (the import warmed it), no move reported off tempo."""
    song = await import_at(long_song_file, FAR, runtime=runtime)
    warmed = len(encodes)
    body = await generate(client, song)
    assert len(encodes) == warmed
    assert {m["name"] for m in body["moves"]} == {m.name for m in tempo_moves}
    errors = await assert_video_follows_the_plan(body, song, tempo_moves, runtime)
    assert max(errors) <= 100 * MAX_GRID_ERROR
    assert body["off_tempo_moves"] == []


@pytest.mark.parametrize("bpm", [FASTER, SLOWER], ids=["faster", "slower"])
async def test_a_song_beyond_every_clips_limit_plays_the_last_step_and_says_so(
    client, tempo_moves, song_file, runtime, encodes, bpm
):
    """Faster (slower) than any clip may be re-timed to: with nothing else in the pool, each
    move plays its variant at the limit, warmed by the import all the same, and the response
    names them off tempo with their real error, above 1 %."""
    song = await import_at(song_file, bpm, runtime=runtime)
    warmed = len(encodes)
    steps = {v.step async for v in MoveVariant.objects.all()}
    assert steps and all(abs(s) >= 100 for s in steps)  # at the grid's ends
    body = await generate(client, song)
    assert len(encodes) == warmed
    assert sorted(body["off_tempo_moves"]) == sorted({m["name"] for m in body["moves"]})
    for entry in body["moves"]:
        move = await Move.objects.aget(name=entry["name"])
        played = {v.frames: v async for v in MoveVariant.objects.filter(move=move)}
        truths = {
            100 * abs(move.tempo_bpm * move.frames / played_frames(move, f) / bpm - 1)
            for f in played
        }
        assert any(entry["tempo_error_percent"] == pytest.approx(t, abs=1e-3) for t in truths)
        assert entry["tempo_error_percent"] > 1.0
    detail = (await client.get(f"/api/choreography/videos/{body['task_id']}/")).json()
    assert detail["off_tempo_moves"] == body["off_tempo_moves"]  # watched again later: said again


async def test_concurrent_requests_render_a_missing_variant_once(
    tempo_moves, song_file, runtime, encodes
):
    """Two requests needing the same missing variants await one render of each."""
    song = await import_at(song_file, SONG_BPM, warm=False, runtime=runtime)
    needed = needed_for_song(song, tempo_moves, fps=FMT.fps)
    first, second = await asyncio.gather(
        ensure_variants(needed, runtime=runtime), ensure_variants(needed, runtime=runtime)
    )
    assert len(encodes) == len(needed) == runtime.renders.started
    assert {v.pk for v in first.values()} == {v.pk for v in second.values()}
    assert await MoveVariant.objects.acount() == len(needed)


async def test_two_processes_rendering_the_same_variant_keep_one(
    tempo_moves, song_file, runtime, encodes
):
    """Without the in-process lock (another process), both encode; the unique constraint keeps
    one row, and the loser deletes its own object, not the winner's."""
    move = tempo_moves[0]
    before = set(await runtime.storage.list("library/variants/"))
    a, b = await asyncio.gather(
        render_variant(move, 5, runtime=runtime), render_variant(move, 5, runtime=runtime)
    )
    assert len(encodes) == 2
    assert a.pk == b.pk
    assert set(await runtime.storage.list("library/variants/")) - before == {a.stream_key}


async def test_cancelling_a_variant_render_leaves_no_file_row_or_process(
    tempo_moves, song_file, reconfigure, slow_ffmpeg, encodes
):
    """A request cancelled while its variant encodes: FFmpeg is reaped, the work dir removed,
    and neither a row nor an object is left."""
    runtime = await reconfigure(ffmpeg=slow_ffmpeg)
    needed = [(tempo_moves[0], 3)]
    before = await runtime.storage.list("library/variants/")
    task = asyncio.create_task(ensure_variants(needed, runtime=runtime))
    await encodes.started.wait()
    for _ in range(400):  # the encode reads at real-time speed: seconds to catch it
        if child_ffmpeg_pids():
            break
        await asyncio.sleep(0.005)
    assert child_ffmpeg_pids()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert child_ffmpeg_pids() == []
    assert await MoveVariant.objects.acount() == 0
    assert await runtime.storage.list("library/variants/") == before
    assert list(runtime.work_root.glob("*")) == []
    assert runtime.renders.running() == 0


async def test_a_waiter_leaving_does_not_stop_a_render_another_awaits():
    """The work stops only when the last caller has gone."""
    flights = SingleFlight(slots=1)
    release = asyncio.Event()
    runs = []

    async def work():
        runs.append(1)
        await release.wait()
        return "done"

    first = asyncio.create_task(flights.run("k", work))
    second = asyncio.create_task(flights.run("k", work))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second == "done"
    assert runs == [1] and flights.running() == 0
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_warming_twice_renders_nothing_new(tempo_moves, song_file, encodes, runtime):
    """Warm once, reuse forever: the second warm finds every variant stored."""
    song = await import_at(song_file, SONG_BPM, runtime=runtime)
    rendered = len(encodes)
    assert rendered == len(needed_for_song(song, tempo_moves, fps=FMT.fps)) > 0
    assert await warm_song(song, runtime=runtime) == 0
    assert len(encodes) == rendered


def test_whole_phrases_play_within_one_percent_up_to_the_limit():
    """For any song up to ±30 % from a clip (the old grid stopped at ±17 %), and clips a
    fraction of a frame short of their 8-counts, every whole-phrase slot the clip fills plays a
    variant at least as long as the slot and within 1 %."""
    for tenth in range(-300, 301, 3):
        song = 120.0 * (1 + tenth / 1000)
        clip = ClipTempo(clip_bpm=120.0, frames=239, song_bpm=song, fps=30)
        assert clip.within_limit and clip.nearest().error < 0.00125 + 1 / 239, song
        phrases = clip.phrases(2)
        for count in range(1, phrases + 1):
            for slot in {
                math.floor(count * clip.phrase_frames),
                math.ceil(count * clip.phrase_frames),
            }:
                chosen = clip.for_slot(slot)
                assert chosen.frames >= slot, (song, slot)
                assert chosen.error <= MAX_GRID_ERROR, (song, slot)
    assert not ClipTempo(clip_bpm=100.0, frames=240, song_bpm=131.0, fps=30).within_limit


async def test_forgetting_a_moves_variants_removes_rows_and_objects(
    tempo_moves, song_file, runtime
):
    """A clip that changed drops its variants: rows and stored streams; they render again."""
    from choreography.library.variants import forget_variants

    await import_at(song_file, SONG_BPM, runtime=runtime)
    move = tempo_moves[0]
    keys = [v.stream_key async for v in MoveVariant.objects.filter(move=move)]
    assert keys
    assert await forget_variants(move, storage=runtime.storage) == len(keys)
    assert not await MoveVariant.objects.filter(move=move).aexists()
    assert [await runtime.storage.exists(key) for key in keys] == [False] * len(keys)
    assert await MoveVariant.objects.exclude(move=move).aexists()  # others' stay


async def test_deleting_a_move_deletes_its_variants(tempo_moves, song_file, runtime):
    """A deleted move leaves none of its variant streams behind in storage."""
    from choreography.library.editing import delete_move

    await import_at(song_file, SONG_BPM, runtime=runtime)
    move = tempo_moves[1]
    keys = [v.stream_key async for v in MoveVariant.objects.filter(move=move)]
    assert keys
    await delete_move(move, storage=runtime.storage)
    assert [await runtime.storage.exists(key) for key in keys] == [False] * len(keys)


async def stages(client, song, **fields) -> list[tuple[str, int]]:
    """The (stage, progress) events of one generation streamed to its end (completed)."""
    reader = await start_stream(client, song, **fields)
    seen = []
    async for event in reader.events():
        if event.name == "progress":
            seen.append((event.data["stage"], event.data["progress"]))
        elif event.name in ("completed", "error"):
            assert event.name == "completed", event.data
            break
    return seen


async def test_after_an_import_every_generate_is_a_pure_copy(
    client, tempo_moves, song_file, runtime, encodes
):
    """Once import_song returned, the song says variants_ready, and generates with other
    seeds, levels, styles and a section (an intro piece, a tail) stream no retiming stage and
    encode nothing; with a variant missing, the song says it is not ready."""
    song = await import_at(song_file, SONG_BPM, first_beat=1.3, runtime=runtime)
    detail = await client.get(f"/api/songs/{song.id}/")
    assert detail.status_code == 200 and detail.json()["variants_ready"] is True
    warmed = len(encodes)
    asks = [
        {"difficulty": "beginner", "seed": 1},
        {"difficulty": "advanced", "energy_level": "high", "style": "playful", "seed": 7},
        {"difficulty": "intermediate", "energy_level": "low", "seed": 123456},
        {"difficulty": "beginner", "seed": 3, "start_seconds": 1.3},
    ]
    for fields in asks:
        names = [name for name, _ in await stages(client, song, **fields)]
        assert "retiming" not in names and "fetching" in names, names
    assert len(encodes) == warmed
    await (await MoveVariant.objects.afirst()).adelete()  # as if a warm-up were still running
    assert (await client.get(f"/api/songs/{song.id}/")).json()["variants_ready"] is False


async def test_missing_variants_render_under_a_retiming_stage_and_only_once(
    client, tempo_moves, song_file, encodes, runtime
):
    """A request on a song nobody warmed streams a retiming stage before fetching (progress
    never going down); the next request finds them stored: no retiming, no encode."""
    song = await import_at(song_file, SONG_BPM, warm=False, runtime=runtime)
    first = await stages(client, song, difficulty="beginner", seed=1)
    names = [name for name, _ in first]
    assert "retiming" in names and names.index("retiming") < names.index("fetching")
    assert [p for _, p in first] == sorted(p for _, p in first)
    rendered = len(encodes)
    assert rendered == await MoveVariant.objects.acount() > 0
    second = await stages(client, song, difficulty="beginner", seed=1)
    assert "retiming" not in [name for name, _ in second]
    assert len(encodes) == rendered


def test_the_retime_command_scales_time_exactly_and_cuts_at_the_frame_count():
    """Pure argv: an exact timestamp fraction, the library's rate, a cloned tail as a safety
    margin, ``-frames:v`` at the target, and the canonical encoder settings."""
    builder = FFmpegCommandBuilder()
    argv = builder.retime_clip(Path("in.mp4"), Path("out.mp4"), FMT, frames=120, target_frames=117)
    codec = builder.canonical_video_codec_args(FMT)
    assert argv == [
        *builder.base_args(),
        "-i", "in.mp4",
        "-map", "0:v:0", "-an", "-sn", "-dn", "-map_metadata", "-1",
        "-vf", "setpts=(PTS-STARTPTS)*117/120,fps=30,tpad=stop_mode=clone:stop=2,format=yuv420p",
        "-frames:v", "117",
        *codec,
        "out.mp4",
    ]  # fmt: skip


async def test_a_variant_stored_on_the_former_grid_is_rendered_again(tempo_moves, runtime, encodes):
    """A row whose frames do not match its step (the 1 % grid, no held frame) is not played:
    it is deleted with its object and rendered anew."""
    move = tempo_moves[0]
    old = await render_variant(move, 12, runtime=runtime)
    await MoveVariant.objects.filter(pk=old.pk).aupdate(step=3)  # 1 % step 3 of the old grid
    rows = await ensure_variants([(move, 3)], runtime=runtime)
    fresh = rows[move.pk, 3]
    assert fresh.pk != old.pk and fresh.frames == variant_frames(move.frames, 3) != old.frames
    assert not await runtime.storage.exists(old.stream_key)
    assert len(encodes) == 2
