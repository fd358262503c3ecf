"""Songs are loudness-normalized at import (EBU R128, two loudnorm passes), measured by FFmpeg."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from assembly import MEDIA_DEMUXERS, AudioFormat, FFmpegCommandBuilder, MediaError, prepare_song
from assembly.commands import loudnorm_filter
from assembly.loudness import (
    LoudnessMeasurement,
    linear_gain,
    on_target,
    parse_ebur128_summary,
    parse_loudnorm_output,
)
from tests.helpers import run

TARGET, CEILING = AudioFormat().loudness_lufs, AudioFormat().true_peak_dbtp
AAC_OVERSHOOT_DB = 0.5
"""The AAC encoder may overshoot loudnorm's true-peak ceiling a little."""

SUMMARY = """[out#0/null @ 0x1] video:0kB audio:51680kB
[Parsed_ebur128_0 @ 0x55df64700680] Summary:

  Integrated loudness:
    I:         -20.9 LUFS
    Threshold: -30.9 LUFS

  Loudness range:
    LRA:         3.5 LU
    Threshold: -40.9 LUFS
    LRA low:   -21.0 LUFS
    LRA high:  -20.9 LUFS

  True peak:
    Peak:      -10.7 dBFS
"""
MEASURED = LoudnessMeasurement(integrated=-20.9, threshold=-30.9, lra=3.5, true_peak=-10.7)


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of ``path`` as FFmpeg's ``ebur128`` filter measures."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path),
         "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stderr  # fmt: skip
    summary = out[out.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return integrated, peak


def make_music(path: Path, gain_db: float, seconds: float = 8.0) -> Path:
    """A swelling chord with a kick on every beat at 120 BPM, ``gain_db`` from its natural level.

    Its peak-to-loudness ratio (about 11 dB) is a mastered song's: -14 LUFS with a true peak under
    -1 dBTP is reachable by gain alone, as for most music.
    """
    chord = "0.25*sin(2*PI*220*t)+0.2*sin(2*PI*277.2*t)+0.2*sin(2*PI*329.6*t)"
    kick = "0.5*sin(2*PI*60*t)*exp(-25*mod(t,0.5))"
    run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"aevalsrc=exprs='(0.75+0.25*sin(2*PI*0.2*t))*({chord})+{kick}'"
         f":s=44100:d={seconds}",
         "-af", f"volume={gain_db}dB,alimiter=limit=0.99", "-ac", "2", "-c:a", "pcm_s16le",
         str(path)],
    )  # fmt: skip
    return path


def make_peaky(path: Path, seconds: float = 8.0) -> Path:
    """Quiet pink noise under loud kicks: a peak-to-loudness ratio of 17 dB, more than the 13 dB
    between -14 LUFS and -1 dBTP, so gain alone cannot reach the target."""
    kick = "0.9*sin(2*PI*60*t)*exp(-25*mod(t,0.5))"
    run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.3:d={seconds}:r=44100:seed=7",
         "-f", "lavfi", "-i", f"aevalsrc=exprs='{kick}':s=44100:d={seconds}",
         "-filter_complex", "[0][1]amix=inputs=2:normalize=0,volume=-30dB",
         "-ac", "2", "-c:a", "pcm_s16le", str(path)],
    )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def sources(media_dir) -> dict[str, Path]:
    folder = media_dir / "loudness"
    folder.mkdir()
    return {
        "quiet": make_music(folder / "quiet.wav", -30.0),
        "loud": make_music(folder / "loud.wav", 12.0),
        "peaky": make_peaky(folder / "peaky.wav"),
    }


def test_pass_one_scans_with_true_peak():
    assert FFmpegCommandBuilder("ff", "fp").measure_loudness(Path("in.wav")) == [
        "ff", "-nostdin", "-hide_banner", "-nostats", "-progress", "pipe:1", "-y",
        "-protocol_whitelist", "file", "-format_whitelist", MEDIA_DEMUXERS,
        "-max_pixels", "16777216",
        "-i", "in.wav", "-map", "0:a:0", "-vn", "-sn", "-dn",
        "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-",
    ]  # fmt: skip


def test_pass_two_is_a_gain_or_loudnorm_fed_the_measured_figures_at_the_canonical_rate():
    builder, fmt = FFmpegCommandBuilder(), AudioFormat()
    gained = builder.normalize_audio(Path("in.wav"), Path("out.m4a"), fmt, gain_db=6.9)
    limited = builder.normalize_audio(Path("in.wav"), Path("out.m4a"), fmt, measured=MEASURED)
    plain = builder.normalize_audio(Path("in.wav"), Path("out.m4a"), fmt)
    assert gained[gained.index("-af") + 1] == "volume=6.90dB"
    assert limited[limited.index("-af") + 1] == (
        "loudnorm=I=-14:TP=-1:LRA=11:measured_I=-20.90:measured_TP=-10.70:measured_LRA=3.50:"
        "measured_thresh=-30.90:linear=true:print_format=json"
    )
    assert "-af" not in plain
    for argv in (gained, limited, plain):
        assert argv[argv.index("-ar") + 1] == "44100"
    assert loudnorm_filter(
        AudioFormat(loudness_lufs=-16.5, true_peak_dbtp=-2), MEASURED
    ).startswith("loudnorm=I=-16.5:TP=-2:")


def test_the_summary_is_parsed_and_the_way_chosen():
    assert parse_ebur128_summary(SUMMARY) == MEASURED
    fmt = AudioFormat()
    assert linear_gain(MEASURED, fmt) == pytest.approx(6.9)  # peak -10.7 + 6.9 = -3.8 dBTP
    peaky = LoudnessMeasurement(integrated=-30.0, threshold=-40.0, lra=5.0, true_peak=-10.0)
    assert linear_gain(peaky, fmt) is None  # +16 dB would put the peak at +6 dBTP
    assert not MEASURED.silent
    assert parse_ebur128_summary(SUMMARY.replace("-20.9 LUFS\n", "-70.0 LUFS\n", 1)).silent
    assert on_target(LoudnessMeasurement(-14.3, -24.3, 3, -2.0), fmt, 0.5)
    assert not on_target(LoudnessMeasurement(-14.3, -24.3, 3, -0.5), fmt, 0.5)


def test_loudnorms_own_report_gives_what_it_produced():
    report = '[Parsed_loudnorm_0 @ 0x1]\n{\n\t"input_i" : "-30.00",\n\t"output_i" : "-14.41",\n'
    report += '\t"output_tp" : "-1.00",\n\t"normalization_type" : "dynamic"\n}\n'
    assert parse_loudnorm_output(report) == (-14.41, -1.0)


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (parse_ebur128_summary, "no summary at all"),
        (parse_ebur128_summary, SUMMARY.split("True peak")[0]),
        (parse_loudnorm_output, '{"input_i": "-3"}'),
        (parse_loudnorm_output, "{ not json }"),
    ],
)
def test_a_missing_or_broken_report_is_a_media_error(parse, text):
    with pytest.raises(MediaError, match="printed no loudness"):
        parse(text)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("which", "method", "tolerance_lu"),
    [("quiet", "gain", 1.0), ("loud", "gain", 1.0), ("peaky", "loudnorm", 2.5)],
)
async def test_an_imported_song_plays_at_the_target_loudness(
    sources, tmp_path, which, method, tolerance_lu, runtimes
):
    """Quiet and loud sources end within 1 LU of -14 LUFS by gain alone; one whose peaks forbid
    that goes through loudnorm, which keeps the ceiling and gets within 2.5 LU (measured: 2.0). The true peak
    stays under -1 dBTP (plus the AAC overshoot), and the song records the source's loudness
    and the stored file's, as FFmpeg's ebur128 measures them."""
    from choreography.library.imports import import_song

    source_i, _ = ebur128(sources[which])
    song, created = await import_song(
        sources[which], title=which, bpm=120.0, first_beat=0.0, runtime=runtimes.current
    )
    assert created
    stored = tmp_path / "stored.m4a"
    await runtimes.current.storage.download(song.audio_key, stored)
    integrated, peak = ebur128(stored)

    assert abs(integrated - TARGET) <= tolerance_lu, (which, source_i, integrated)
    assert peak <= CEILING + AAC_OVERSHOOT_DB, (which, peak)
    assert abs(source_i - TARGET) > 6  # the source really was far from the target
    assert song.loudness_input_lufs == pytest.approx(source_i, abs=0.2)
    assert song.loudness_lufs == pytest.approx(integrated, abs=0.5)
    assert song.true_peak_dbtp <= CEILING + 0.1
    prepared = await prepare_song(sources[which], tmp_path, AudioFormat(), FFmpegCommandBuilder())
    assert prepared.loudness.method == method


async def test_a_song_already_at_the_target_is_kept_as_is(sources, tmp_path):
    """Re-preparing a normalized song does not re-encode it (no generation loss)."""
    builder, fmt = FFmpegCommandBuilder(), AudioFormat()
    first = await prepare_song(sources["quiet"], tmp_path, fmt, builder)
    assert first.transcoded and first.info.audio.sample_rate == fmt.sample_rate
    again = await prepare_song(first.path, tmp_path / "again", fmt, builder)
    assert not again.transcoded and again.path == first.path
    assert again.loudness.method == "none"
    assert again.loudness.input_lufs == pytest.approx(first.loudness.output_lufs, abs=0.5)


async def test_silence_is_stored_without_a_gain_change(tmp_path):
    silence = tmp_path / "silence.wav"
    run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         "anullsrc=r=48000:cl=stereo", "-t", "4", str(silence)])  # fmt: skip
    prepared = await prepare_song(silence, tmp_path, AudioFormat(), FFmpegCommandBuilder())
    assert prepared.transcoded and prepared.loudness is None
    assert prepared.info.audio.sample_rate == 44100
