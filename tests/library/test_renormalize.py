"""Originals are kept at import; ``renormalize`` rebuilds the library from them in another format,
on local storage and S3, resumably: a row never points at a missing or half-written object."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from asgiref.sync import sync_to_async

from assembly import FFmpegCommandBuilder, VideoFormat, probe
from choreography.accounts.tokens import issue_token
from choreography.library.formats import joinable
from choreography.library.renormalize import renormalize_library
from choreography.models import Move, Song
from tests.clients import TokenClient, generate, media_path, run_command
from tests.conftest import FMT
from tests.helpers import decode_errors, streams

pytestmark = pytest.mark.django_db(transaction=True)

SMALL = VideoFormat(width=160, height=90, fps=30, crf=FMT.crf)
"""The target of the tests: another frame size, cheap to encode."""


async def sha256_of(runtimes, key: str, tmp_path) -> str:
    local = tmp_path / "check" / key
    local.parent.mkdir(parents=True, exist_ok=True)
    await runtimes.current.storage.download(key, local)
    return hashlib.sha256(local.read_bytes()).hexdigest()


async def assert_rows_point_at_whole_objects(runtimes, tmp_path) -> None:
    """Every move's clip and stream exist; the stream is exactly as long as its frame index."""
    storage = runtimes.current.storage
    async for move in Move.objects.all():
        assert await storage.exists(move.clip_key), move.clip_key
        assert await storage.size(move.stream_key) == move.frame_offsets[-1], move.stream_key
        assert len(move.frame_offsets) - 1 == move.frames


async def assert_in_format(runtimes, move: Move, fmt: VideoFormat, tmp_path) -> None:
    local = tmp_path / "probe" / move.clip_key
    local.parent.mkdir(parents=True, exist_ok=True)
    await runtimes.current.storage.download(move.clip_key, local)
    info = await probe(local, FFmpegCommandBuilder())
    assert info.is_canonical_clip(fmt), (move.name, info)
    assert move.clip_format == fmt.label
    assert info.video.frames == move.frames


async def test_import_keeps_each_original_beside_its_canonical_form(
    library, song_file, tmp_path, runtimes
):
    """Songs and clips keep the file as imported, byte for byte, under library/originals/."""
    song, moves = library
    assert song.original_key == f"library/originals/songs/{song.content_hash[:24]}.m4a"
    assert await sha256_of(runtimes, song.original_key, tmp_path) == song.content_hash
    for move in moves:
        assert move.original_key.startswith("library/originals/clips/")
        assert await sha256_of(runtimes, move.original_key, tmp_path) == move.content_hash
        assert move.clip_format == FMT.label


async def interrupted_then_resumed(runtimes, moves: list[Move], tmp_path) -> None:
    """Cancel a run while the second move's stream is uploading, check nothing points at a
    missing object, then run the command again: it skips the finished move, does the rest."""
    storage = runtimes.current.storage
    before = {m.pk: (m.clip_key, m.stream_key) for m in moves}
    stuck, upload = asyncio.Event(), storage.upload
    streams_started = []

    async def upload_then_hang(src, key, **options):
        if key.startswith("library/streams/"):
            streams_started.append(key)
            if len(streams_started) == 2:
                stuck.set()
                await asyncio.Event().wait()  # until cancelled
        await upload(src, key, **options)

    storage.upload = upload_then_hang
    try:
        run = asyncio.create_task(renormalize_library(SMALL, runtime=runtimes.current))
        await asyncio.wait_for(stuck.wait(), 60)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
    finally:
        del storage.upload
    first, second, *_ = [await Move.objects.aget(pk=m.pk) for m in moves]
    await assert_in_format(runtimes, first, SMALL, tmp_path)
    assert not await storage.exists(before[first.pk][0])  # the old clip is gone
    assert (second.clip_key, second.stream_key) == before[second.pk]
    assert second.clip_format == FMT.label
    await assert_rows_point_at_whole_objects(runtimes, tmp_path)

    out, err, error = await sync_to_async(run_command)("renormalize", "--video-size", "160x90")
    assert error is None, err
    assert f"{len(moves) - 1} rebuilt, 1 already {SMALL.label}, 0 failed" in out
    assert f"set CHOREO_VIDEO_SIZE=160x90 CHOREO_VIDEO_FPS=30 CHOREO_VIDEO_CRF={FMT.crf}" in err
    async for move in Move.objects.all():
        await assert_in_format(runtimes, move, SMALL, tmp_path)
    await assert_rows_point_at_whole_objects(runtimes, tmp_path)
    # Every old clip is gone, every new one is there (the storage holds other tests' media too).
    clips = set(await storage.list("library/clips/"))
    assert not clips & {clip for clip, _ in before.values()}
    assert {m.clip_key async for m in Move.objects.all()} <= clips


async def test_renormalize_resumes_after_an_interruption_on_local_storage(
    library, tmp_path, runtimes
):
    """Local storage: the interrupted run leaves the library whole; a second run finishes it."""
    _, moves = library
    await interrupted_then_resumed(runtimes, moves, tmp_path)


async def test_renormalize_resumes_after_an_interruption_on_s3(
    s3_backend, library, tmp_path, runtimes
):
    """The same on SeaweedFS: originals are downloaded, new objects uploaded, old ones deleted."""
    _, moves = library
    assert (await s3_backend.list("library/originals/clips/")) != []
    await interrupted_then_resumed(runtimes, moves, tmp_path)


async def test_generations_use_only_clips_of_the_configured_format(library, reconfigure, runtimes):
    """Rebuilt clips are left out until the server is configured for their format; then a
    generation joins them into a clean video of that size."""
    _, moves = library
    await Move.objects.filter(pk=moves[0].pk).aupdate(clip_format=SMALL.label)
    assert await Move.objects.filter(joinable(FMT)).acount() == len(moves) - 1
    client = TokenClient(await issue_token("alice"))
    response = await generate(client, library, seed=3)
    assert response.status_code == 200, response.content
    assert moves[0].name not in {m["name"] for m in response.json()["moves"]}

    await Move.objects.filter(pk=moves[0].pk).aupdate(clip_format=FMT.label)
    report = await renormalize_library(SMALL, runtime=runtimes.current)
    assert report.count("rebuilt") == len(moves) and not report.failed
    await reconfigure(video_size="160x90")
    response = await generate(client, library, seed=3)
    assert response.status_code == 200, response.content
    video = media_path(response.json()["video_url"])
    assert (streams(video)["video"]["width"], streams(video)["video"]["height"]) == (160, 90)
    assert decode_errors(video) == ""


async def test_a_server_with_no_clip_in_its_format_says_so(library):
    """When every clip is in another format, a generation is refused naming the format."""
    await Move.objects.aupdate(clip_format=SMALL.label)
    response = await generate(TokenClient(await issue_token("alice")), library, seed=3)
    body = response.json()
    assert body["error"] == f"no move of the library is in the configured format {FMT.frame}"
    assert "renormalize" in body["details"] and body["stage"] == "planning"


async def test_a_failing_clip_is_named_and_skipped_with_exit_status_1(library, tmp_path, runtimes):
    """An original that no longer decodes fails that move only; the rest are rebuilt."""
    _, moves = library
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video at all" * 100)
    await runtimes.current.storage.upload(garbage, moves[2].original_key)

    out, err, error = await sync_to_async(run_command)("renormalize", "--video-size", "160x90")
    assert error is not None and error.returncode == 1
    assert f"failed {moves[2].name}: cannot read media file" in err
    assert f"{len(moves) - 1} rebuilt, 0 already {SMALL.label}, 1 failed" in out
    unchanged = await Move.objects.aget(pk=moves[2].pk)
    assert (unchanged.clip_key, unchanged.clip_format) == (moves[2].clip_key, FMT.label)
    await assert_rows_point_at_whole_objects(runtimes, tmp_path)


async def test_moves_without_originals_are_reported(library):
    """Moves imported before originals were kept are counted and named: re-import them."""
    _, moves = library
    await Move.objects.filter(pk__in=[moves[0].pk, moves[1].pk]).aupdate(original_key="")
    out, err, error = await sync_to_async(run_command)("renormalize", "--crf", str(FMT.crf + 2))
    assert error is None, err
    assert f"2 clips have no original; re-import them: {moves[0].name}, {moves[1].name}" in err
    assert f"{len(moves) - 2} rebuilt" in out
    assert f"set CHOREO_VIDEO_CRF={FMT.crf + 2} so new imports match" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--video-size", "big"), "--video-size: expected WIDTHxHEIGHT"),
        (("--video-size", "161x90"), "--video-size: Input should be a multiple of 2"),
        (("--fps", "0"), "--fps: Input should be greater than or equal to 1"),
        (("--crf", "60"), "--crf: Input should be less than or equal to 51"),
    ],
)
def test_bad_flags_are_refused_naming_the_flag(flags, message):
    """A bad target format is refused before anything is touched."""
    _, _, error = run_command("renormalize", *flags)
    assert error is not None and message in str(error)


async def test_songs_keep_their_original_through_the_fixture(library, runtimes):
    """The shared library fixture restores originals too (later tests rely on them)."""
    song, _ = library
    assert await Song.objects.filter(original_key=song.original_key).aexists()
    assert await runtimes.current.storage.exists(song.original_key)


async def test_tempo_variants_are_rebuilt_from_the_new_clip(library, tmp_path, runtimes):
    """A variant is a re-timed copy of the clip in its format: renormalize drops the old one and
    renders the same tempo from the rebuilt clip, in the new format, frame-exact."""
    from choreography.library.variants import render_variant
    from choreography.music.tempo import variant_frames

    _, moves = library
    old = await render_variant(moves[0], 3, runtime=runtimes.current)
    report = await renormalize_library(SMALL, runtime=runtimes.current)
    assert report.failed == []
    move = await Move.objects.aget(pk=moves[0].pk)
    variant = await move.variants.aget(step=3)
    assert variant.stream_key != old.stream_key
    assert not await runtimes.current.storage.exists(old.stream_key)
    assert variant.frames == variant_frames(move.frames, 3)
    local = tmp_path / "variant.h264"
    await runtimes.current.storage.download(variant.stream_key, local)
    video = streams(local)["video"]
    assert (video["width"], video["height"]) == (SMALL.width, SMALL.height)
    assert decode_errors(local) == ""
