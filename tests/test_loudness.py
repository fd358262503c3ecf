"""Songs are loudness-normalized at import (EBU R128, two loudnorm passes), measured by FFmpeg."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from assembly import AudioFormat, FFmpegCommandBuilder, MediaError, prepare_song
from assembly.commands import loudnorm_filter
from assembly.loudness import LoudnessReport, parse_loudnorm_report
from tests.helpers import run

TARGET, CEILING = AudioFormat().loudness_lufs, AudioFormat().true_peak_dbtp
AAC_OVERSHOOT_DB = 0.5
"""The AAC encoder may overshoot loudnorm's true-peak ceiling a little."""

REPORT = """[out#0/null @ 0x1] video:0kB audio:1506kB
[Parsed_loudnorm_0 @ 0x55da68e3aa00]
{
\t"input_i" : "-41.82",
\t"input_tp" : "-37.62",
\t"input_lra" : "0.00",
\t"input_thresh" : "-51.82",
\t"output_i" : "-14.00",
\t"output_tp" : "-9.82",
\t"output_lra" : "0.00",
\t"output_thresh" : "-24.00",
\t"normalization_type" : "dynamic",
\t"target_offset" : "-0.00"
}
"""


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


@pytest.fixture(scope="session")
def quiet_and_loud(media_dir) -> tuple[Path, Path]:
    folder = media_dir / "loudness"
    folder.mkdir()
    return make_music(folder / "quiet.wav", -30.0), make_music(folder / "loud.wav", 12.0)


def test_pass_one_measures_with_a_json_report():
    builder = FFmpegCommandBuilder("ff", "fp")
    assert builder.measure_loudness(Path("in.wav"), AudioFormat()) == [
        "ff", "-nostdin", "-hide_banner", "-nostats", "-progress", "pipe:1", "-y",
        "-i", "in.wav", "-map", "0:a:0", "-vn", "-sn", "-dn",
        "-af", "loudnorm=I=-14:TP=-1:LRA=11:print_format=json", "-f", "null", "-",
    ]  # fmt: skip


def test_pass_two_applies_the_measured_figures_linearly_at_the_canonical_rate():
    measured = parse_loudnorm_report(REPORT)
    argv = FFmpegCommandBuilder().normalize_audio(
        Path("in.wav"), Path("out.m4a"), AudioFormat(), measured=measured
    )
    assert argv[argv.index("-af") + 1] == (
        "loudnorm=I=-14:TP=-1:LRA=11:measured_I=-41.82:measured_TP=-37.62:measured_LRA=0.00:"
        "measured_thresh=-51.82:offset=-0.00:linear=true:print_format=json"
    )
    assert argv[argv.index("-ar") + 1] == "44100"
    assert "-af" not in FFmpegCommandBuilder().normalize_audio(
        Path("in.wav"), Path("out.m4a"), AudioFormat()
    )
    assert loudnorm_filter(AudioFormat(loudness_lufs=-16.5, true_peak_dbtp=-2)).startswith(
        "loudnorm=I=-16.5:TP=-2:"
    )


def test_the_report_is_parsed_and_silence_recognized():
    report = parse_loudnorm_report(REPORT)
    assert report == LoudnessReport(
        input_i=-41.82, input_tp=-37.62, input_lra=0.0, input_thresh=-51.82,
        output_i=-14.0, output_tp=-9.82, output_lra=0.0, output_thresh=-24.0,
        normalization_type="dynamic", target_offset=0.0,
    )  # fmt: skip
    assert not report.silent
    silent = REPORT.replace('"-41.82"', '"-inf"')
    assert parse_loudnorm_report(silent).silent


@pytest.mark.parametrize("text", ["no report at all", '{"input_i": "-3"}', "{ not json }"])
def test_a_missing_or_broken_report_is_a_media_error(text):
    with pytest.raises(MediaError, match="no loudness report"):
        parse_loudnorm_report(text)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("which", ["quiet", "loud"])
async def test_an_imported_song_plays_at_the_target_loudness(quiet_and_loud, tmp_path, which):
    """Quiet and loud sources both end within 1 LU of -14 LUFS, true peak under -1 dBTP; the
    song records the source's loudness and the stored file's, as ebur128 measures them."""
    from choreography.library.imports import import_song
    from choreography.runtime import current

    source = dict(zip(("quiet", "loud"), quiet_and_loud, strict=True))[which]
    source_i, _ = ebur128(source)
    song, created = await import_song(source, title=which, bpm=120.0, first_beat=0.0)
    assert created
    stored = tmp_path / "stored.m4a"
    await current().storage.download(song.audio_key, stored)
    integrated, peak = ebur128(stored)

    assert abs(integrated - TARGET) <= 1.0, (which, source_i, integrated)
    assert peak <= CEILING + AAC_OVERSHOOT_DB, (which, peak)
    assert abs(source_i - TARGET) > 6  # the source really was far from the target
    assert song.loudness_input_lufs == pytest.approx(source_i, abs=0.5)
    assert song.loudness_lufs == pytest.approx(integrated, abs=0.5)
    assert song.true_peak_dbtp <= CEILING + 0.1


async def test_a_song_already_at_the_target_is_kept_as_is(quiet_and_loud, tmp_path):
    """Re-preparing a normalized song does not re-encode it (no generation loss)."""
    builder, fmt = FFmpegCommandBuilder(), AudioFormat()
    first = await prepare_song(quiet_and_loud[0], tmp_path, fmt, builder)
    assert first.transcoded and first.info.audio.sample_rate == fmt.sample_rate
    again = await prepare_song(first.path, tmp_path / "again", fmt, builder)
    assert not again.transcoded and again.path == first.path
    assert again.loudness.normalization_type == "none"
    assert again.loudness.input_i == pytest.approx(first.loudness.output_i, abs=0.5)


async def test_silence_is_stored_without_a_gain_change(tmp_path):
    silence = tmp_path / "silence.wav"
    run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         "anullsrc=r=48000:cl=stereo", "-t", "4", str(silence)])  # fmt: skip
    prepared = await prepare_song(silence, tmp_path, AudioFormat(), FFmpegCommandBuilder())
    assert prepared.transcoded and prepared.loudness is None
    assert prepared.info.audio.sample_rate == 44100
