"""Song and clip analysis: tempo and first downbeat on synthesized click tracks, energy, errors."""

import asyncio
import time
import wave
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from assembly import FFmpegCommandBuilder
from choreography.library.listening import analyse_file, decode_mono
from choreography.music.analysis import (
    SAMPLE_RATE,
    AnalysisError,
    analyse_samples,
    detect_tempo,
    phrase_energy,
)
from tests.helpers import make_click_track

# (bpm, first downbeat): the range 90-150 BPM, awkward tempos and offsets.
CLICK_TRACKS = [
    (90.0, 0.37),
    (97.3, 1.234),
    (112.0, 0.0),
    (128.0, 2.5),
    (141.0, 0.37),
    (150.0, 0.05),
]
BPM_TOLERANCE = 0.5
FIRST_BEAT_TOLERANCE_S = 0.020


@pytest.fixture(scope="session")
def click_tracks(media_dir):
    """12-second click tracks, synthesized two at a time (the machine has two cores)."""

    def make(track):
        bpm, first = track
        return track, make_click_track(media_dir / f"click-{bpm}-{first}.m4a", bpm, first, 12.0)

    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(make, CLICK_TRACKS))


@pytest.mark.parametrize(("bpm", "first_beat"), CLICK_TRACKS)
async def test_tempo_and_first_downbeat_of_click_tracks(click_tracks, tmp_path, bpm, first_beat):
    """Detected through FFmpeg decoding of AAC: within 0.5 BPM and 20 ms of the truth."""
    analysis = await analyse_file(click_tracks[bpm, first_beat], tmp_path, FFmpegCommandBuilder())
    assert analysis.bpm == pytest.approx(bpm, abs=BPM_TOLERANCE)
    assert analysis.first_beat == pytest.approx(first_beat, abs=FIRST_BEAT_TOLERANCE_S)
    assert (analysis.bpm_source, analysis.first_beat_source) == ("detected", "detected")
    assert analysis.confidence > 0.9


async def test_count_one_is_the_accented_beat_not_the_first_click(media_dir, tmp_path):
    """Two pickup beats before the first accented beat: the first downbeat is the accent."""
    path = make_click_track(media_dir / "pickup.m4a", 120.0, 1.5, 12.0, pickup=2)
    analysis = await analyse_file(path, tmp_path, FFmpegCommandBuilder())
    assert analysis.first_beat == pytest.approx(1.5, abs=FIRST_BEAT_TOLERANCE_S)


async def test_without_accents_the_first_click_is_count_one(media_dir, tmp_path):
    path = make_click_track(media_dir / "flat.m4a", 133.0, 0.8, 12.0, accent=False)
    analysis = await analyse_file(path, tmp_path, FFmpegCommandBuilder())
    assert analysis.bpm == pytest.approx(133.0, abs=BPM_TOLERANCE)
    assert analysis.first_beat == pytest.approx(0.8, abs=FIRST_BEAT_TOLERANCE_S)


async def test_given_tempo_and_first_beat_win_over_detection(click_tracks, tmp_path):
    """--bpm alone fits only the phase; --bpm and --first-beat are taken as they are."""
    path = click_tracks[141.0, 0.37]
    builder = FFmpegCommandBuilder()
    phase_only = await analyse_file(path, tmp_path, builder, bpm=141.0)
    assert (phase_only.bpm, phase_only.bpm_source) == (141.0, "given")
    assert phase_only.first_beat == pytest.approx(0.37, abs=FIRST_BEAT_TOLERANCE_S)
    given = await analyse_file(path, tmp_path, builder, bpm=140.0, first_beat=0.5)
    assert (given.bpm, given.first_beat, given.first_beat_source) == (140.0, 0.5, "given")
    assert len(given.energy_curve) == 4  # (12 - 0.5) s / (8 * 60 / 140) s = 3.35 phrases


def test_energy_curve_follows_the_loudness_of_each_phrase():
    """One RMS value per 8-count phrase from the first downbeat; loud phrases measure louder."""
    phrase = 4.0  # 8 beats at 120 BPM
    gains = [0.2, 0.2, 0.6, 0.1]
    t = np.arange(int((1.0 + phrase * len(gains)) * SAMPLE_RATE)) / SAMPLE_RATE
    envelope = np.where(
        t < 1.0, 0.0, np.take(gains, ((t - 1.0) // phrase).astype(int), mode="clip")
    )
    samples = (envelope * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    curve = phrase_energy(samples, SAMPLE_RATE, first_beat=1.0, bpm=120.0)
    assert len(curve) == 4
    assert np.allclose(curve, np.array(gains) / np.sqrt(2), rtol=0.02)


def test_noise_and_drones_have_no_clear_tempo():
    """A clip whose audio has no beat keeps no detected tempo (the default applies)."""
    rng = np.random.default_rng(7)
    noise = (0.1 * rng.standard_normal(SAMPLE_RATE * 8)).astype(np.float32)
    drone = (0.1 * np.sin(2 * np.pi * 440 * np.arange(SAMPLE_RATE * 8) / SAMPLE_RATE)).astype(
        np.float32
    )
    assert detect_tempo(noise) is None
    assert detect_tempo(drone) is None


def test_silence_or_too_short_audio_cannot_be_analysed():
    """Without --bpm, silence is an AnalysisError that says to pass the tempo."""
    with pytest.raises(AnalysisError, match="cannot detect the tempo") as caught:
        analyse_samples(np.zeros(SAMPLE_RATE * 5, np.float32))
    assert "--bpm" in caught.value.details
    with pytest.raises(AnalysisError):
        analyse_samples(np.zeros(SAMPLE_RATE // 2, np.float32))
    quiet = analyse_samples(np.zeros(SAMPLE_RATE * 5, np.float32), bpm=120.0)
    assert (quiet.bpm, quiet.first_beat) == (120.0, 0.0)


async def test_undecodable_audio_is_an_analysis_error_naming_the_file(tmp_path):
    bad = tmp_path / "broken.m4a"
    bad.write_bytes(b"\x00not audio at all" * 100)
    with pytest.raises(AnalysisError, match=r"broken\.m4a") as caught:
        await decode_mono(bad, tmp_path, FFmpegCommandBuilder())
    assert caught.value.details


async def test_analysis_leaves_the_event_loop_free(tmp_path):
    """The numeric work runs in a thread: a ticker keeps ticking while a long song is analysed."""
    seconds = 150
    t = np.arange(seconds * SAMPLE_RATE) / SAMPLE_RATE
    samples = (0.5 * np.sin(2 * np.pi * 1000 * t) * np.exp(-40 * (t % (60 / 126)))).astype(
        np.float32
    )
    started = time.perf_counter()
    analyse_samples(samples)
    blocking_s = time.perf_counter() - started  # what the loop would freeze for, run inline
    path = tmp_path / "long.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((samples * 32767).astype("<i2").tobytes())

    gaps: list[float] = []

    async def tick():
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            gaps.append(time.perf_counter() - before)

    ticker = asyncio.create_task(tick())
    analysis = await analyse_file(path, tmp_path, FFmpegCommandBuilder())
    await asyncio.sleep(0.02)  # let the ticker record the gap it is in
    ticker.cancel()
    assert analysis.bpm == pytest.approx(126, abs=0.5)
    assert max(gaps) < max(0.1, blocking_s / 2), (max(gaps), blocking_s)
