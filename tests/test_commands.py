"""Command building is pure: exact argv lists and concat scripts, no FFmpeg run."""

import itertools
from pathlib import Path

from assembly import FFmpegCommandBuilder, VideoFormat
from assembly.commands import Segment, concat_list, escape_concat_path, frames_for_timeline


def test_concat_copy_command():
    """Concatenation copies the video stream from the concat demuxer."""
    argv = FFmpegCommandBuilder("ff", "fp").concat_copy(Path("/w/l.txt"), Path("/w/o.mp4"))
    assert argv == [
        "ff", "-nostdin", "-hide_banner", "-nostats", "-progress", "pipe:1", "-y",
        "-f", "concat", "-safe", "0", "-i", "/w/l.txt", "-map", "0:v:0", "-c", "copy", "/w/o.mp4",
    ]  # fmt: skip


def test_add_audio_copies_both_streams_and_cuts_to_duration():
    """The song is laid under the video by stream copy, cut, with +faststart."""
    argv = FFmpegCommandBuilder().add_audio(
        Path("v.mp4"), Path("a.m4a"), Path("o.mp4"), duration=12.5
    )
    assert argv[7:] == [
        "-i", "v.mp4", "-i", "a.m4a", "-map", "0:v:0", "-map", "1:a:0",
        "-c:v", "copy", "-c:a", "copy", "-t", "12.500000", "-movflags", "+faststart", "o.mp4",
    ]  # fmt: skip


def test_add_audio_encodes_when_song_is_not_aac():
    """A non-canonical song is encoded with the blueprint's audio codec and bitrate."""
    argv = FFmpegCommandBuilder().add_audio(
        Path("v"), Path("a"), Path("o"), duration=1, copy_audio=False, audio_bitrate="96k"
    )
    assert argv[argv.index("-c:a") : argv.index("-c:a") + 4] == ["-c:a", "aac", "-b:a", "96k"]


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
    assert pairs["-vf"].startswith("scale=1280:720:force_original_aspect_ratio=decrease")
    assert argv[-1] == "out.mp4"


def test_escape_concat_path_quotes_single_quotes():
    """Single quotes in a path are escaped the concat demuxer's way."""
    assert escape_concat_path("/a/it's.mp4") == "'/a/it'\\''s.mp4'"
    assert escape_concat_path("/plain.mp4") == "'/plain.mp4'"


def test_concat_list_is_frame_exact_without_drift():
    """Durations add up to whole frames exactly; outpoints sit 1 µs below each boundary."""
    script = concat_list([Segment(Path("/a.mp4"), 47), Segment(Path("/b.mp4"), 61)], fps=30)
    assert script == (
        "ffconcat version 1.0\n"
        "file '/a.mp4'\nduration 1.566667\noutpoint 1.566666\n"
        "file '/b.mp4'\nduration 2.033333\noutpoint 2.033332\n"
    )


def test_concat_list_cumulative_boundaries_never_drift():
    """Over 100 joins the summed durations equal the frame count / fps to the microsecond."""
    segments = [Segment(Path(f"/{i}.mp4"), 37) for i in range(100)]
    script = concat_list(segments, fps=30)
    durations = [
        int(line.split()[1].replace(".", ""))
        for line in script.splitlines()
        if line.startswith("duration")
    ]
    assert sum(durations) == round(3700 * 1_000_000 / 30)


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
        "-i", "in.mp4", "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", "22050",
        "-f", "f32le", "-c:a", "pcm_f32le", "o.pcm",
    ]  # fmt: skip
