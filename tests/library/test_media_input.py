"""Media input hardening (issue #24, items 11-13): FFmpeg opens uploads and imported files only as
allowed containers through the file protocol, and the probe's facts are checked against the
limits before anything is decoded. Real FFmpeg, real database, media synthesized here."""

from __future__ import annotations

import shutil
import struct
import zlib
from fractions import Fraction
from pathlib import Path

import pytest

from assembly import (
    MOVE_DEMUXERS,
    InputLimits,
    MediaError,
    MediaInfo,
    MediaRejectedError,
    check_clip,
    check_song,
)
from assembly.limits import not_allowed_container, oversized_picture
from assembly.probe import AudioStreamInfo, VideoStreamInfo
from choreography.config import load_config
from choreography.models import Move, Song
from tests.clients import leftover_uploads, run_command, staff_client, upload
from tests.helpers import make_phone_clip, synthesize

pytestmark = pytest.mark.django_db(transaction=True)


# --- the checks, pure ------------------------------------------------------------------------


def clip_info(width=1080, height=1920, fps=60, seconds=5.0, codec="h264", frames=None) -> MediaInfo:
    frames = round(seconds * fps) if frames is None else frames
    video = VideoStreamInfo(
        codec=codec, width=width, height=height, fps=Fraction(fps), pix_fmt="yuv420p",
        has_b_frames=2, frames=frames, time_base="1/600",
    )  # fmt: skip
    return MediaInfo(format_name="mov,mp4,m4a,3gp,3g2,mj2", duration=seconds, video=video)


def test_phone_footage_passes_the_clip_checks():
    """Portrait or landscape, 24-60 fps, H.264 or HEVC, 1-120 s: what issue #27 will import."""
    limits = InputLimits()
    for width, height in ((1080, 1920), (1920, 1080), (3840, 2160), (720, 1280), (240, 426)):
        for fps in (24, Fraction(30000, 1001), 60):
            for codec in ("h264", "hevc"):
                for seconds in (1.0, 5.0, 120.0):
                    check_clip(clip_info(width, height, fps, seconds, codec), limits, "phone.mov")


@pytest.mark.parametrize(
    ("info", "says"),
    [
        (clip_info(width=200, height=200), "200x200 pixels"),
        (clip_info(width=1, height=1, codec="gif", frames=1), "gif picture, not a video"),
        (clip_info(width=16000, height=16000), "16000x16000 pixels"),
        (clip_info(width=4097, height=2160), "4097x2160"),
        (clip_info(seconds=0.5), "lasts 0.5 s"),
        (clip_info(seconds=121.0), "lasts 121 s (2 min)"),
        (clip_info(fps=240), "up to 120 fps"),
        (clip_info(frames=1), "not moving video (1 frame(s)"),
        (clip_info(codec="png"), "png picture"),
    ],
)
def test_what_is_not_a_usable_clip_is_refused_with_a_sentence(info, says):
    with pytest.raises(MediaRejectedError) as caught:
        check_clip(info, InputLimits(), "x.mp4")
    assert says in caught.value.message and "'x.mp4'" in caught.value.message


def test_songs_are_refused_past_the_longest_and_unknown_lengths_are_unreadable():
    audio = AudioStreamInfo(codec="flac", sample_rate=8000, channels=1)
    song = MediaInfo(format_name="flac", duration=14400.0, audio=audio)
    with pytest.raises(MediaRejectedError, match=r"lasts 14400 s \(240 min\).*CHOREO_MAX_SONG_S"):
        check_song(song, InputLimits(), "long.flac")
    check_song(song.model_copy(update={"duration": 900.0}), InputLimits(), "ok.flac")
    with pytest.raises(MediaError, match="cannot tell how long") as caught:
        check_song(song.model_copy(update={"duration": 0.0}), InputLimits(), "x.mp3")
    assert not isinstance(caught.value, MediaRejectedError)


def test_ffmpeg_refusals_become_sentences():
    """FFmpeg's own words for a demuxer off the list, and for a picture over -max_pixels."""
    stderr = "[hls @ 0x5564] Format not on whitelist 'mov,mp4'\nup.mp4: Invalid argument\n"
    refused = not_allowed_container(stderr, "up.mp4", MOVE_DEMUXERS)
    assert refused is not None and "'up.mp4' is a hls file" in refused.message
    assert "MP4/MOV" in refused.message and not_allowed_container("", "a", MOVE_DEMUXERS) is None
    big = "[png @ 0x5] [IMGUTILS @ 0x7] Picture size 16000x16000 exceeds specified max pixel count"
    assert "16000x16000" in oversized_picture(big, "p.mov").message
    assert oversized_picture("", "p.mov") is None


def test_limits_come_from_the_settings():
    """CHOREO_MAX_SONG_S / CHOREO_MAX_MOVE_S (900 / 120 s); sides from 240 px, or from the
    canonical frame's shorter side when the library's own frame is smaller."""
    limits = load_config({}).input_limits
    assert (limits.max_song_s, limits.max_move_s, limits.min_side, limits.max_side) == (
        900, 120, 240, 4096,
    )  # fmt: skip
    limits = load_config({"CHOREO_MAX_SONG_S": "60", "CHOREO_MAX_MOVE_S": "30"}).input_limits
    assert (limits.max_song_s, limits.max_move_s) == (60, 30)
    assert load_config({"CHOREO_VIDEO_SIZE": "320x180"}).input_limits.min_side == 180


@pytest.fixture
async def staff(transactional_db):
    return await staff_client()


# --- media made for the tests ----------------------------------------------------------------


@pytest.fixture(scope="session")
def secret_clip(media_dir) -> Path:
    """Another user's video, as it sits in the data dir: what a playlist must not reach."""
    return make_phone_clip(media_dir / "secret-video.mp4", 2.0, size="336x272")


def hls_playlist(path: Path, target: Path) -> Path:
    """A playlist (named like a video) whose one segment is a local file."""
    path.write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXTINF:2.0,\n"
        f"file://{target}\n#EXT-X-ENDLIST\n"
    )
    return path


def concat_list(path: Path, target_name: str) -> Path:
    """A concat list (named like a video) naming a file beside it (allowed by the demuxer's
    own "safe" mode: relative, plain characters)."""
    path.write_text(f"ffconcat version 1.0\nfile '{target_name}'\n")
    return path


def huge_png(path: Path, side: int = 16000) -> Path:
    """A grey 16000x16000 PNG of under a megabyte (declaring 256 MB of pixels)."""
    row = b"\0" + b"\x80" * side
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
    return path


@pytest.fixture
def ffmpeg_spy(tmp_path) -> tuple[str, Path]:
    """An ffmpeg that notes each run in a log before running the real one."""
    log = tmp_path / "ffmpeg-runs.log"
    script = tmp_path / "ffmpeg-spy"
    script.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec ffmpeg "$@"\n')
    script.chmod(0o755)
    return str(script), log


@pytest.fixture
def small_ffprobe(tmp_path) -> str:
    """ffprobe allowed 400 MB of address space: enough for any probe, not for a 16000x16000
    picture decoded (plain ffprobe peaks at 800 MB on one)."""
    script = tmp_path / "ffprobe-small"
    script.write_text('#!/bin/sh\nulimit -v 400000\nexec ffprobe "$@"\n')
    script.chmod(0o755)
    return str(script)


async def assert_nothing_kept(runtime, stored: set[str]) -> None:
    assert await Song.objects.acount() == 0 and await Move.objects.acount() == 0
    assert set(await runtime.storage.list("")) == stored
    assert not leftover_uploads(runtime)


# --- item 11: no playlist, concat list or other file read through an upload -------------------


async def test_an_hls_playlist_upload_is_refused_and_reads_nothing(
    staff, runtime, tmp_path, secret_clip
):
    """An ".mp4" that is an HLS playlist of a local video is refused (400, naming the file and
    what it is) as a song and as a move: no row, no stored object, the video not imported."""
    playlist = hls_playlist(tmp_path / "dance.mp4", secret_clip)
    stored = set(await runtime.storage.list(""))
    for url, fields in (("/api/songs/", {"title": "Leak"}), ("/api/moves/", {})):
        response = await upload(staff, url, playlist, **fields)
        assert response.status_code == 400, response.content
        body = response.json()
        assert set(body) == {"error", "details", "stage"}
        assert "'dance.mp4'" in body["error"] and "'dance.mp4' is a hls file" in body["details"]
    await assert_nothing_kept(runtime, stored)


async def test_a_concat_list_upload_is_refused_and_reads_nothing(
    staff, runtime, tmp_path, secret_clip
):
    """A concat list naming a file beside the upload (another upload in the work dir) is
    refused the same way."""
    runtime.work_root.mkdir(parents=True, exist_ok=True)
    neighbour = runtime.work_root / "neighbour.mp4"
    shutil.copyfile(secret_clip, neighbour)
    listing = concat_list(tmp_path / "dance.mp4", neighbour.name)
    stored = set(await runtime.storage.list(""))
    try:
        for url, fields in (("/api/songs/", {"title": "Leak"}), ("/api/moves/", {})):
            response = await upload(staff, url, listing, **fields)
            assert response.status_code == 400, response.content
            assert "'dance.mp4' is a concat file" in response.json()["details"]
        await assert_nothing_kept(runtime, stored)
    finally:
        neighbour.unlink()


def test_import_commands_refuse_playlists_and_concat_lists(tmp_path, secret_clip):
    """import_moves skips both (named, exit status 1, nothing imported); import_song too."""
    shutil.copyfile(secret_clip, tmp_path / "secret.mp4")
    playlist = hls_playlist(tmp_path / "playlist.mp4", tmp_path / "secret.mp4")
    listing = concat_list(tmp_path / "listing.mp4", "secret.mp4")
    out, err, error = run_command("import_moves", playlist, listing)
    assert error is not None and error.returncode == 1
    assert "0 imported, 0 already in the library, 2 skipped" in out
    assert "'playlist.mp4' is a hls file" in err and "'listing.mp4' is a concat file" in err
    _, err, error = run_command("import_song", playlist, "--title", "Leak")
    assert error is not None and error.returncode == 1 and "is a hls file" in err
    assert not Move.objects.exists() and not Song.objects.exists()


# --- item 12: duration and decoded size checked from the probe --------------------------------


@pytest.fixture(scope="session")
def long_flac(media_dir) -> Path:
    """12 s of 8 kHz mono silence as FLAC: longer than the 10 s limit the test sets."""
    return synthesize(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
         "-i", "anullsrc=r=8000:cl=mono", "-t", "12", "-c:a", "flac",
         str(media_dir / "long-silence.flac")]
    )  # fmt: skip


async def test_a_song_past_the_longest_is_refused_before_any_decode(
    staff, reconfigure, long_flac, ffmpeg_spy
):
    """Over CHOREO_MAX_SONG_S: 422 naming the length and the setting, found by ffprobe alone
    (ffmpeg never runs), nothing kept."""
    spy, log = ffmpeg_spy
    runtime = await reconfigure(max_song_s=10.0, ffmpeg=spy)
    stored = set(await runtime.storage.list(""))
    response = await upload(staff, "/api/songs/", long_flac, title="Long")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"] == (
        "'long-silence.flac' lasts 12.0 s: a song may last at most 10 s (CHOREO_MAX_SONG_S)"
    )
    assert not log.exists(), log.read_text()
    await assert_nothing_kept(runtime, stored)


async def test_a_huge_picture_is_refused_from_the_probe_in_little_memory(
    staff, reconfigure, tmp_path, small_ffprobe, ffmpeg_spy
):
    """A 16000x16000 PNG (under 1 MB) is refused as a move and as a song by ffprobe held to
    400 MB (it is opened as no picture at all), before any ffmpeg runs."""
    spy, log = ffmpeg_spy
    runtime = await reconfigure(ffprobe=small_ffprobe, ffmpeg=spy)
    picture = huge_png(tmp_path / "poster.png")
    assert picture.stat().st_size < 1024 * 1024
    stored = set(await runtime.storage.list(""))
    for url, fields in (("/api/moves/", {}), ("/api/songs/", {"title": "Big"})):
        response = await upload(staff, url, picture, **fields)
        assert response.status_code == 400, response.content
        assert "'poster.png' is a png_pipe file" in response.json()["details"]
    assert not log.exists()
    await assert_nothing_kept(runtime, stored)


# --- item 13 (media part): a move is moving video of a usable size and length -----------------


@pytest.fixture(scope="session")
def tiny_gif(media_dir) -> Path:
    return synthesize(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=2x2:d=1",
         "-vf", "scale=1:1,format=rgb24", "-frames:v", "1", str(media_dir / "pixel.gif")]
    )  # fmt: skip


async def test_a_one_pixel_gif_is_not_a_move(staff, runtime, tiny_gif):
    stored = set(await runtime.storage.list(""))
    response = await upload(staff, "/api/moves/", tiny_gif)
    assert response.status_code == 400, response.content
    assert "'pixel.gif' is a gif file" in response.json()["details"]
    await assert_nothing_kept(runtime, stored)


async def test_too_short_and_too_small_clips_are_refused(staff, reconfigure, media_dir):
    """Half a second of video, or a 200x200 frame: 422 saying why, nothing kept (with a
    canonical frame of 640x360 the smallest side is the default 240 px)."""
    runtime = await reconfigure(video_size="640x360")
    short = make_phone_clip(media_dir / "half-second.mp4", 0.5)
    small = make_phone_clip(media_dir / "square.mp4", 1.5, size="200x200")
    stored = set(await runtime.storage.list(""))
    response = await upload(staff, "/api/moves/", short)
    assert response.status_code == 422, response.content
    assert response.json()["error"].startswith("'half-second.mp4' lasts 0.5 s: a move must last")
    response = await upload(staff, "/api/moves/", small)
    assert response.status_code == 422, response.content
    assert "'square.mp4' has a frame of 200x200 pixels" in response.json()["error"]
    await assert_nothing_kept(runtime, stored)


async def test_portrait_phone_footage_is_imported(staff, runtime, media_dir):
    """Portrait H.264 at 60 fps with sound, and portrait HEVC in MOV: both 201."""
    h264 = make_phone_clip(media_dir / "portrait.mp4", 1.5, size="240x432", fps=60)
    hevc = synthesize(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
         "-i", "testsrc2=s=240x432:r=60:d=1.5", "-c:v", "libx265", "-preset", "ultrafast",
         "-x265-params", "log-level=error", "-tag:v", "hvc1", "-pix_fmt", "yuv420p",
         str(media_dir / "portrait-hevc.mov")]
    )  # fmt: skip
    for clip in (h264, hevc):
        response = await upload(staff, "/api/moves/", clip, tempo="120")
        assert response.status_code == 201, response.content
    assert await Move.objects.acount() == 2
