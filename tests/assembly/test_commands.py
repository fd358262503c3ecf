"""Command building is pure: exact argv lists and concat scripts, no FFmpeg run."""

import itertools
from pathlib import Path

from assembly import (
    MEDIA_DEMUXERS,
    MOVE_DEMUXERS,
    SONG_DEMUXERS,
    AudioFormat,
    FFmpegCommandBuilder,
    VideoFormat,
)
from assembly.commands import fit_filter, frames_for_timeline, volume_filter
from assembly.elementary import ByteRange, is_keyframe, join_ranges, parse_framecrc, ranges_for


def test_mux_wraps_the_stream_copies_both_and_cuts_to_duration():
    """One pass: the elementary stream at the canonical rate, the song copied, +faststart."""
    argv = FFmpegCommandBuilder("ff").mux(
        Path("j.h264"), Path("a.m4a"), Path("o.mp4"), VideoFormat(fps=30), duration=12.5
    )
    assert argv == [
        "ff", "-nostdin", "-hide_banner", "-nostats", "-progress", "pipe:1", "-y",
        "-f", "h264", "-framerate", "30", "-i", "j.h264", "-i", "a.m4a",
        "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "copy",
        "-t", "12.500000", "-video_track_timescale", "15360", "-movflags", "+faststart", "o.mp4",
    ]  # fmt: skip


def test_mux_encodes_audio_when_song_is_not_aac():
    """A non-canonical song is encoded with the blueprint's audio codec and bitrate."""
    argv = FFmpegCommandBuilder().mux(
        Path("v"), Path("a"), Path("o"), VideoFormat(), duration=1, copy_audio=False,
        audio_bitrate="96k",
    )  # fmt: skip
    assert argv[argv.index("-c:a") : argv.index("-c:a") + 4] == ["-c:a", "aac", "-b:a", "96k"]
    assert argv[argv.index("-c:v") + 1] == "copy"


def test_mux_applies_an_audio_filter_by_encoding_the_song_only():
    """With a volume filter the song is filtered and encoded; the video stays a copy."""
    argv = FFmpegCommandBuilder("ff").mux(
        Path("j.h264"), Path("a.m4a"), Path("o.mp4"), VideoFormat(fps=30), duration=4,
        audio_bitrate="96k", audio_filter="volume=0.5",
    )  # fmt: skip
    assert argv[15:] == [
        "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy",
        "-af", "volume=0.5", "-c:a", "aac", "-b:a", "96k",
        "-t", "4.000000", "-video_track_timescale", "15360", "-movflags", "+faststart", "o.mp4",
    ]  # fmt: skip


def test_mux_plays_the_song_from_audio_start_by_seeking_its_input():
    """A section of the song: ``-ss`` before the song's ``-i``; the song is still copied."""
    argv = FFmpegCommandBuilder("ff").mux(
        Path("j.h264"), Path("a.m4a"), Path("o.mp4"), VideoFormat(fps=30), duration=4,
        audio_start=29.5,
    )  # fmt: skip
    assert argv[7:17] == [
        "-f", "h264", "-framerate", "30", "-i", "j.h264", "-ss", "29.500000", "-i", "a.m4a",
    ]  # fmt: skip
    assert argv[argv.index("-c:a") + 1] == "copy"


def test_volume_filter_enables_each_gain_on_its_stretch_only():
    """One volume filter per stretch, enabled from its start (inclusive) to its end (exclusive)."""
    assert volume_filter([]) is None
    assert volume_filter([(2.0, 4.5, 0.8), (6, 7, 0.0)]) == (
        "volume=enable='gte(t,2.000000)*lt(t,4.500000)':volume=0.8,"
        "volume=enable='gte(t,6.000000)*lt(t,7.000000)':volume=0"
    )


def test_to_annexb_lists_its_packets_and_can_take_the_poster():
    """Rewrapping is a stream copy through h264_mp4toannexb; the index is the list of packets
    written (framecrc through the same filter); the poster comes from a second, seeking input."""
    builder = FFmpegCommandBuilder("ff", "fp")
    annexb = ["-map", "0:v:0", "-c", "copy", "-bsf:v", "h264_mp4toannexb"]
    assert builder.to_annexb(Path("c.mp4"), Path("c.h264"), Path("c.crc"))[7:] == [
        "-i", "c.mp4", *annexb, "-f", "h264", "c.h264", *annexb, "-f", "framecrc", "c.crc",
    ]  # fmt: skip
    argv = builder.to_annexb(
        Path("c.mp4"), Path("c.h264"), Path("c.crc"), poster=(Path("p.jpg"), 1.25)
    )
    assert argv[7:] == [
        "-i", "c.mp4", "-ss", "1.250", "-i", "c.mp4",
        *annexb, "-f", "h264", "c.h264", *annexb, "-f", "framecrc", "c.crc",
        "-map", "1:v:0", "-frames:v", "1", "-q:v", "3", "-f", "image2", "-c:v", "mjpeg",
        "-pix_fmt", "yuvj420p", "-update", "1", "p.jpg",
    ]  # fmt: skip


def test_normalize_clip_has_no_b_frames_and_a_fixed_time_base():
    """Canonical clips: no B-frames, fixed GOP, timescale = 512 ticks per frame, no audio."""
    argv = FFmpegCommandBuilder().normalize_clip(
        Path("in.mov"), Path("out.mp4"), VideoFormat(width=1280, height=720, fps=30)
    )
    pairs = dict(itertools.pairwise(argv))
    assert pairs["-bf"] == "0"
    assert pairs["-g"] == "60"
    assert pairs["-video_track_timescale"] == "15360"
    assert pairs["-x264-params"] == "stitchable=1"
    assert "-an" in argv
    assert pairs["-vf"] == fit_filter(VideoFormat(width=1280, height=720, fps=30))
    assert argv[-1] == "out.mp4"


def test_fit_filter_squares_pixels_then_scales_to_fit_and_pads_black():
    """Anamorphic pixels are squared first; then scale to fit (up or down), pad, never stretch."""
    assert fit_filter(VideoFormat(width=1280, height=720, fps=25)) == (
        "scale='trunc(iw*sar/2)*2':'trunc(ih/2)*2',setsar=1,"
        "scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,"
        "pad=1280:720:(ow-iw)/2:(oh-ih)/2:black,setsar=1,fps=25,format=yuv420p"
    )


def test_video_format_defaults_to_720p_and_labels_what_it_was_built_with():
    """The default canonical format is 1280x720 at 30 fps; the label names every encoder input."""
    fmt = VideoFormat()
    assert (fmt.width, fmt.height, fmt.fps) == (1280, 720, 30)
    assert fmt.frame == "1280x720@30"
    assert fmt.label == f"1280x720@30 crf{fmt.crf} {fmt.preset}"


def test_packet_list_parsing():
    """Offsets start at 0 (parameter sets belong to frame 0), each frame starts where the packets
    before it end, and the last offset is the end of the last frame."""
    listing = (
        "#tb 0: 1/15360\n#media_type 0: video\n"
        "0,          0,          0,      512,     1027, 0x8a1d2d8e\n"
        "0,        512,        512,      512,      200, 0x0b6f1a2c, F=0x0\n"
        "0,       1024,       1024,      512,      300, 0x5a3f0c11\n"
    )
    assert parse_framecrc(listing) == (0, 1027, 1227, 1527)
    assert parse_framecrc("#tb 0: 1/15360\n") == ()


def test_ranges_loop_a_clip_that_is_too_short():
    """Asking for more frames than a clip has repeats it from its start."""
    offsets = (0, 10, 20, 30)  # three frames
    assert ranges_for(Path("c"), offsets, 2) == [ByteRange(Path("c"), 0, 20)]
    assert ranges_for(Path("c"), offsets, 7) == [
        ByteRange(Path("c"), 0, 30),
        ByteRange(Path("c"), 0, 30),
        ByteRange(Path("c"), 0, 10),
    ]


def test_ranges_stop_at_a_trim_end_and_loop_the_trimmed_part():
    """A frame limit cuts the clip there, and that shorter part is what repeats."""
    offsets = (0, 10, 20, 30, 40)  # four frames
    assert ranges_for(Path("c"), offsets, 5, limit=2) == [
        ByteRange(Path("c"), 0, 20),
        ByteRange(Path("c"), 0, 20),
        ByteRange(Path("c"), 0, 10),
    ]
    assert ranges_for(Path("c"), offsets, 3, limit=9) == [ByteRange(Path("c"), 0, 30)]


def test_ranges_start_at_a_trim_start_frame_and_loop_from_there():
    """With ``first``, the clip plays (and repeats) frames [first, limit) only."""
    offsets = (0, 10, 20, 30, 40, 50)  # five frames
    assert ranges_for(Path("c"), offsets, 5, limit=4, first=2) == [
        ByteRange(Path("c"), 20, 40),
        ByteRange(Path("c"), 20, 40),
        ByteRange(Path("c"), 20, 30),
    ]
    assert ranges_for(Path("c"), offsets, 2, first=3) == [ByteRange(Path("c"), 30, 50)]


def test_ranges_refuse_a_trim_that_leaves_no_frame():
    """A first frame at or after the limit leaves nothing to play: ValueError, not a loop."""
    import pytest

    with pytest.raises(ValueError, match="no frames between frame 3 and frame 3"):
        ranges_for(Path("c"), (0, 10, 20, 30, 40), 5, limit=3, first=3)


def test_is_keyframe_reads_the_first_slice_after_parameter_sets():
    """IDR (type 5) after SPS/PPS/SEI is a keyframe; a type-1 slice first is not."""
    sps, pps, sei = b"\x00\x00\x00\x01\x67ab", b"\x00\x00\x01\x68cd", b"\x00\x00\x01\x06ef"
    assert is_keyframe(sps + pps + sei + b"\x00\x00\x01\x65slice")
    assert not is_keyframe(b"\x00\x00\x00\x01\x41slice\x00\x00\x01\x65")
    assert not is_keyframe(sps + pps)
    assert not is_keyframe(b"")


def test_join_ranges_concatenates_bytes(tmp_path):
    """The joined file is exactly the ranges' bytes in order."""
    import threading

    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"0123456789")
    b.write_bytes(b"abcdefghij")
    out = tmp_path / "out"
    ranges = [ByteRange(a, 0, 4), ByteRange(b, 0, 10), ByteRange(a, 0, 2)]
    assert join_ranges(ranges, out, threading.Event()) == 16
    assert out.read_bytes() == b"0123abcdefghij01"


def test_frames_for_timeline_rounds_cumulative_ends():
    """Each cumulative end lands on the nearest frame, so per-move errors never accumulate."""
    ends = [i * 1.01 for i in range(1, 61)]
    counts = frames_for_timeline(ends, 30)
    assert sum(counts) == round(60 * 1.01 * 30)
    running = 0
    for end, count in zip(ends, counts, strict=True):
        running += count
        assert abs(running / 30 - end) <= 0.5 / 30 + 1e-9


def test_decode_audio_pcm_command():
    """Analysis decodes the first audio stream to raw mono float32 at the given rate."""
    argv = FFmpegCommandBuilder("ff").decode_audio_pcm(Path("in.mp4"), Path("o.pcm"), 22050)
    assert argv[7:] == [
        *GUARD, MEDIA_DEMUXERS, *PIXELS,
        "-i", "in.mp4", "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", "22050",
        "-f", "f32le", "-c:a", "pcm_f32le", "o.pcm",
    ]  # fmt: skip
    clip = FFmpegCommandBuilder("ff").decode_audio_pcm(
        Path("in.mov"), Path("o.pcm"), 22050, formats=MOVE_DEMUXERS, max_seconds=120
    )
    assert clip[7:17] == [*GUARD, MOVE_DEMUXERS, *PIXELS, "-t", "120", "-i", "in.mov"]


GUARD = ["-protocol_whitelist", "file", "-format_whitelist"]
PIXELS = ["-max_pixels", "16777216"]


def test_probe_opens_only_local_files_of_the_allowed_containers():
    """ffprobe reads the file through the file protocol only, as one of the allowed demuxers
    (no hls, concat or image sequence whatever the name), decoding no picture over 4096x4096."""
    builder = FFmpegCommandBuilder("ff", "fp")
    assert builder.probe(Path("up.mp4"), formats=MOVE_DEMUXERS) == [
        "fp", "-v", "error", *GUARD, "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi", *PIXELS,
        "-count_packets", "-print_format", "json", "-show_format", "-show_streams", "up.mp4",
    ]  # fmt: skip
    assert builder.probe(Path("s.flac"), count_packets=False, formats=SONG_DEMUXERS) == [
        "fp", "-v", "error",
        *GUARD, "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,mp3,aac,wav,flac,ogg", *PIXELS,
        "-print_format", "json", "-show_format", "-show_streams", "s.flac",
    ]  # fmt: skip
    assert builder.probe(Path("x.m4a"))[3:9] == [*GUARD, MEDIA_DEMUXERS, *PIXELS]
    for demuxers in (MOVE_DEMUXERS, SONG_DEMUXERS, MEDIA_DEMUXERS):
        assert not {"hls", "concat", "image2", "gif", "png_pipe", "tee"} & set(demuxers.split(","))


def test_normalizing_guards_its_input_and_stops_at_the_limit():
    """Import transcodes open the source behind the same guard, read no further than the
    duration limit (``-t`` before ``-i``), and keep every other argument as it was."""
    builder = FFmpegCommandBuilder("ff")
    fmt = VideoFormat(width=1280, height=720, fps=30)
    clip = builder.normalize_clip(
        Path("in.mov"), Path("out.mp4"), fmt, formats=MOVE_DEMUXERS, max_seconds=120
    )
    assert clip[7:24] == [
        *GUARD, MOVE_DEMUXERS, *PIXELS, "-t", "120", "-i", "in.mov",
        "-map", "0:v:0", "-an", "-sn", "-dn", "-map_metadata", "-1",
    ]  # fmt: skip
    assert builder.normalize_clip(Path("in.mov"), Path("out.mp4"), fmt)[7:15] == [
        *GUARD, MEDIA_DEMUXERS, *PIXELS, "-i", "in.mov",
    ]  # fmt: skip
    song = builder.normalize_audio(
        Path("s.flac"), Path("s.m4a"), AudioFormat(), formats=SONG_DEMUXERS, max_seconds=900.5
    )
    assert song[7:17] == [*GUARD, SONG_DEMUXERS, *PIXELS, "-t", "900.5", "-i", "s.flac"]
    loud = builder.measure_loudness(Path("s.flac"), formats=SONG_DEMUXERS, max_seconds=900)
    assert loud[7:17] == [*GUARD, SONG_DEMUXERS, *PIXELS, "-t", "900", "-i", "s.flac"]
