"""Phone footage commands are pure: exact argv lists, the probe's facts from JSON, the sniff
table and the limits' sentences; no FFmpeg run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assembly import FFmpegCommandBuilder, InputLimits, PhoneInputError, VideoFormat, fit_filter
from assembly.limits import MOVE_DEMUXERS
from assembly.phone import (
    check_limits,
    cut_argv,
    decode_audio_argv,
    parse_phone_probe,
    posters_argv,
    preview_argv,
    probe_argv,
    sniff,
)

B = FFmpegCommandBuilder("ff", "fp")
BASE = ["ff", "-nostdin", "-hide_banner", "-nostats", "-progress", "pipe:1", "-y"]
SAFE = [
    "-protocol_whitelist", "file", "-format_whitelist", MOVE_DEMUXERS,
    "-max_pixels", str(4096 * 4096), "-f", "mov",
]  # fmt: skip
"""The library's one input guard (assembly.limits) with the MOV/MP4 demuxer forced."""


def test_every_command_opens_the_upload_with_the_file_protocol_and_mov_demuxer_only():
    """probe, sound, posters, preview and cut all put the allow-lists before each ``-i``."""
    path = Path("up.mov")
    commands = [
        probe_argv(B, path),
        decode_audio_argv(B, path, Path("s.pcm"), 22050),
        posters_argv(B, path, [(Path("a.jpg"), 1.0), (Path("b.jpg"), 2.0)]),
        preview_argv(B, path, Path("p.mp4"), start=0.5, seconds=4, bpm=120, with_sound=True),
        cut_argv(B, path, Path("c.mp4"), VideoFormat(), start=0.5, frames=120),
    ]
    for argv in commands:
        inputs = [i for i, arg in enumerate(argv) if arg == path.name]
        assert inputs
        for i in inputs:
            opened = argv[:i]
            last = max(j for j, a in enumerate(opened) if a == "-protocol_whitelist")
            assert opened[last : last + len(SAFE)] == SAFE


def test_probe_reads_headers_only():
    assert probe_argv(B, Path("up.mov")) == [
        "fp", "-v", "error", *SAFE, "-print_format", "json", "-show_format", "-show_streams",
        "up.mov",
    ]  # fmt: skip


def test_the_sound_is_decoded_without_the_picture():
    assert decode_audio_argv(B, Path("up.mov"), Path("s.pcm"), 22050) == [
        *BASE, *SAFE, "-i", "up.mov", "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1",
        "-ar", "22050", "-f", "f32le", "-c:a", "pcm_f32le", "s.pcm",
    ]  # fmt: skip


def test_posters_seek_before_each_input_and_scale_down():
    """One input per poster, ``-ss`` before ``-i`` (decode from the keyframe before only)."""
    argv = posters_argv(B, Path("up.mov"), [(Path("a.jpg"), 1.0), (Path("b.jpg"), 2.5)])
    jpeg = ["-q:v", "5", "-f", "image2", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-update", "1"]
    assert argv == [
        *BASE,
        *SAFE, "-ss", "1.000", "-i", "up.mov",
        *SAFE, "-ss", "2.500", "-i", "up.mov",
        "-map", "0:v:0", "-frames:v", "1", "-vf", "scale=-2:160", *jpeg, "a.jpg",
        "-map", "1:v:0", "-frames:v", "1", "-vf", "scale=-2:160", *jpeg, "b.jpg",
    ]  # fmt: skip


def test_the_cut_is_the_librarys_chain_to_an_exact_frame_count():
    """Seek, fit into the canonical frame (black bars), constant rate, clone the last frame
    if the source ends early, cut at the frame count; video only, canonical encoder."""
    fmt = VideoFormat(width=1280, height=720, fps=30)
    assert cut_argv(B, Path("up.mov"), Path("c.mp4"), fmt, start=1.25, frames=240) == [
        *BASE, *SAFE, "-ss", "1.250000", "-i", "up.mov",
        "-map", "0:v:0", "-an", "-sn", "-dn", "-map_metadata", "-1",
        "-vf", f"{fit_filter(fmt)},tpad=stop_mode=clone:stop=30", "-frames:v", "240",
        *B.canonical_video_codec_args(fmt), "c.mp4",
    ]  # fmt: skip


def test_the_preview_mixes_clicks_over_the_clips_sound_or_plays_clicks_alone():
    argv = preview_argv(B, Path("up.mov"), Path("p.mp4"), start=0.5, seconds=4, bpm=120.0,
                        with_sound=True)  # fmt: skip
    graph = argv[argv.index("-filter_complex") + 1]
    assert "[1:a][own]amix=inputs=2:duration=first" in graph
    assert graph.startswith("[0:v]scale=-2:360,fps=30")
    assert argv[argv.index("-t") + 1] == "4.000000"
    silent = preview_argv(B, Path("up.mov"), Path("p.mp4"), start=0, seconds=4, bpm=120.0,
                          with_sound=False)  # fmt: skip
    assert silent[silent.index("-filter_complex") + 1].endswith("[1:a]anull[a]")


def probe_json(*streams: dict, duration: float = 10.0) -> str:
    return json.dumps(
        {"streams": list(streams), "format": {"format_name": "mov,mp4", "duration": duration}}
    )


HEVC_PORTRAIT = {
    "codec_type": "video", "codec_name": "hevc", "width": 1920, "height": 1080,
    "avg_frame_rate": "60/1", "r_frame_rate": "60/1",
    "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}],
}  # fmt: skip


def test_a_phone_held_upright_is_portrait_as_displayed():
    facts = parse_phone_probe(probe_json(HEVC_PORTRAIT, {"codec_type": "audio"}), "a.mov")
    assert (facts.width, facts.height, facts.rotation, facts.portrait) == (1080, 1920, -90, True)
    assert (facts.coded_width, facts.coded_height, facts.fps, facts.vfr) == (1920, 1080, 60, False)
    assert facts.has_audio


def test_a_variable_frame_rate_is_an_average_away_from_the_base_rate():
    vfr = {**HEVC_PORTRAIT, "avg_frame_rate": "140/3", "side_data_list": []}
    facts = parse_phone_probe(probe_json(vfr), "a.mp4")
    assert (facts.vfr, facts.fps, facts.rotation, facts.has_audio) == (True, 46.6667, 0, False)


@pytest.mark.parametrize(
    ("streams", "sentence"),
    [
        ([{"codec_type": "audio"}], r"a.mov has no picture \(only sound\)"),
        ([], "a.mov has no picture: upload the video"),
        ([{**HEVC_PORTRAIT, "codec_name": "png"}], "a.mov is a still image"),
        ([{**HEVC_PORTRAIT, "disposition": {"attached_pic": 1}}], "a.mov is a still image"),
    ],
)
def test_what_has_no_moving_picture_is_refused(streams, sentence):
    with pytest.raises(PhoneInputError, match=sentence):
        parse_phone_probe(probe_json(*streams), "a.mov")


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"codec_name": "vp9"}, "is encoded as vp9: upload H.264 or HEVC"),
        ({"avg_frame_rate": "240/1", "r_frame_rate": "240/1"}, "runs at 240 frames per second"),
        ({"width": 7680, "height": 4320}, "is 4320x7680 pixels: each side .* 240 to 4096"),
        ({"width": 200, "height": 112}, "is 112x200 pixels"),
    ],
)
def test_limits_name_what_is_wrong(change, sentence):
    facts = parse_phone_probe(probe_json({**HEVC_PORTRAIT, **change}), "a.mov")
    with pytest.raises(PhoneInputError, match=sentence):
        check_limits(facts, InputLimits(), "a.mov")


def test_limits_pass_a_phone_clip():
    check_limits(parse_phone_probe(probe_json(HEVC_PORTRAIT), "a.mov"), InputLimits(), "a.mov")


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"#EXTM3U\n#EXT-X-VERSION:3", "playlist"),
        (b"\xef\xbb\xbf\n#EXTM3U", "playlist"),
        (b"ffconcat version 1.0\nfile a.mp4", "playlist"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "still image"),
        (b"\x89PNG\r\n\x1a\n", "still image"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "still image"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "still image"),
        (b"\x00\x00\x00\x20ftypqt  \x00\x00\x02\x00", None),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", None),
    ],
)
def test_sniffing_the_first_bytes(head, kind):
    """Playlists and pictures are named before FFmpeg opens them; videos are left to it."""
    assert sniff(head) == kind
