"""Music analysis with numpy: tempo, first downbeat and a per-phrase energy curve.

Pure rules: decoded samples (a numpy array of mono PCM) in, facts out; no FFmpeg, no files,
no Django. The library decodes a file and runs this work in a thread
(choreography.library.listening).

How it works:

1. **Onset envelope**: a short-time Fourier transform (512-sample Hann window, hop 128 at
   22 050 Hz: 23 ms windows, one value every 5.8 ms); the envelope is the positive spectral flux
   of the log-compressed magnitudes, summed over bins. It spikes where a note or a drum starts.
2. **Coarse tempo**: the envelope's autocorrelation, weighted by a log-normal prior around
   120 BPM (one octave wide) so that half or double tempo loses, searched over 70-180 BPM.
3. **Exact period and phase**: for periods within ±4 % of the coarse one, the envelope is folded
   modulo the period; the period whose fold has the sharpest peak wins (a wrong period smears the
   beats over the fold), and that peak's position is the beat phase. Over a whole song this pins
   the tempo to a few hundredths of a BPM.
4. **First downbeat**: beats are grouped by their position in the bar (4 beats); the position
   whose bass, else whose overall sound, is clearly loudest just after the beat is count 1 (an
   accent or a bass note), and the first such beat where the music has started is the first
   downbeat.
5. **Energy curve**: the RMS of the samples over each 8-count phrase from the first downbeat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from assembly import MediaError
from choreography.music.vocabulary import BEATS_PER_PHRASE

SAMPLE_RATE = 22050
WINDOW = 512
HOP = 128
MIN_BPM, MAX_BPM = 70.0, 180.0
PRIOR_BPM, PRIOR_OCTAVES = 120.0, 1.0
LOW_BAND_HZ = 250.0
BEATS_PER_BAR = 4
ACCENT_RATIO = 1.15
"""A bar position is count 1 when it is this much louder than every other position."""
MIN_CONFIDENCE = 0.3
"""Below this pulse clarity (0..1) a detected tempo is not trusted (e.g. a clip without music)."""
EARLY_TOLERANCE_S = 0.05
"""A beat this little before 0 s (the envelope leads onsets by a few ms) counts as one at 0 s."""


class AnalysisError(MediaError):
    """Raised when audio cannot be decoded or holds too little sound to analyse."""

    default_stage = "analysing"


@dataclass(frozen=True)
class BeatGrid:
    bpm: float
    first_beat: float
    """Time in seconds of the first downbeat (count 1)."""
    confidence: float
    """Pulse clarity, 0..1: how much stronger onsets are on the beats than between them."""


@dataclass(frozen=True)
class SongAnalysis:
    duration: float
    bpm: float
    first_beat: float
    confidence: float
    energy_curve: tuple[float, ...] = field(default=())
    """RMS of each 8-count phrase from ``first_beat`` (the last one may be partial)."""
    bpm_source: str = "detected"
    first_beat_source: str = "detected"


def onset_envelope(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Positive log-spectral flux, one value per hop; value i describes time i * HOP / rate."""
    samples = np.asarray(samples, dtype=np.float32)
    padded = np.concatenate(
        [np.zeros(WINDOW // 2, np.float32), samples, np.zeros(WINDOW, np.float32)]
    )
    count = max(1, (len(padded) - WINDOW) // HOP + 1)
    window = np.hanning(WINDOW).astype(np.float32)
    flux = np.zeros(count, dtype=np.float32)
    previous = None
    block = 2048
    for start in range(0, count, block):
        stop = min(count, start + block)
        index = np.arange(start, stop)[:, None] * HOP + np.arange(WINDOW)[None, :]
        spectrum = np.abs(np.fft.rfft(padded[index] * window, axis=1)).astype(np.float32)
        logmag = np.log1p(100.0 * spectrum)
        if previous is None:  # silence before the first sample: sound at 0 s is an onset
            previous = np.zeros_like(logmag[:1])
        rises = np.maximum(0.0, np.diff(np.concatenate([previous, logmag]), axis=0))
        flux[start:stop] = rises.sum(axis=1)
        previous = logmag[-1:]
    return flux


def low_pass(samples: np.ndarray, sample_rate: int, cutoff_hz: float) -> np.ndarray:
    """``samples`` without the frequencies above ``cutoff_hz`` (a brick-wall FFT filter)."""
    spectrum = np.fft.rfft(samples)
    spectrum[int(cutoff_hz * len(samples) / sample_rate) + 1 :] = 0
    return np.fft.irfft(spectrum, len(samples)).astype(np.float32)


def _frame_rate(sample_rate: int) -> float:
    return sample_rate / HOP


def coarse_bpm(envelope: np.ndarray, frame_rate: float) -> float:
    """Tempo from the envelope's autocorrelation, with a prior against half/double tempo.

    The envelope is smoothed first (~30 ms) so that a sharp peak falling between two integer
    lags is not undercounted against a neighbouring tempo whose lag happens to be whole.
    """
    kernel = np.hanning(7)[1:-1]
    env = np.convolve(envelope, kernel / kernel.sum(), mode="same")
    env = env - env.mean()
    n = len(env)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(env, size)
    autocorr = np.fft.irfft(spectrum * np.conj(spectrum), size)[:n]
    min_lag = max(1, int(frame_rate * 60.0 / MAX_BPM))
    max_lag = min(n - 1, math.ceil(frame_rate * 60.0 / MIN_BPM))
    if max_lag <= min_lag + 2:
        raise AnalysisError("the audio is too short to measure a tempo")
    lags = np.arange(min_lag, max_lag + 1)
    bpms = 60.0 * frame_rate / lags
    prior = np.exp(-0.5 * (np.log2(bpms / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)
    scores = autocorr[lags] * prior
    best = int(np.argmax(scores))
    lag = float(lags[best])
    if 0 < best < len(scores) - 1:  # parabolic interpolation between lags
        a, b, c = scores[best - 1], scores[best], scores[best + 1]
        denominator = a - 2 * b + c
        if denominator < 0:
            lag += 0.5 * (a - c) / denominator
    return 60.0 * frame_rate / lag


def _fold(envelope: np.ndarray, frame_rate: float, period: float, bins: int) -> np.ndarray:
    """The envelope summed by phase within ``period``, circularly smoothed."""
    times = np.arange(len(envelope)) / frame_rate
    phase = np.floor((times % period) / period * bins).astype(np.int64) % bins
    histogram = np.bincount(phase, weights=envelope, minlength=bins)
    kernel = np.array([0.25, 0.5, 1.0, 0.5, 0.25])
    wrapped = np.concatenate([histogram[-2:], histogram, histogram[:2]])
    return np.convolve(wrapped, kernel, mode="valid")


def fit_period_and_phase(
    envelope: np.ndarray, frame_rate: float, bpm: float, *, search: float = 0.04
) -> tuple[float, float, float]:
    """(period seconds, phase seconds, pulse clarity) refining ``bpm`` within ±``search``."""
    bins = 240
    candidates = 60.0 / (bpm * np.linspace(1 - search, 1 + search, 321)) if search else [60 / bpm]
    best: tuple[float, float, np.ndarray] | None = None
    for period in candidates:
        folded = _fold(envelope, frame_rate, float(period), bins)
        peak = float(folded.max())
        if best is None or peak > best[0]:
            best = (peak, float(period), folded)
    assert best is not None
    peak, period, folded = best
    # A finer search around the winner, then sub-bin phase by parabolic interpolation.
    if search:
        step = period * (2 * search / 320)
        for candidate in np.linspace(period - step, period + step, 21):
            folded_c = _fold(envelope, frame_rate, float(candidate), bins)
            if folded_c.max() > peak:
                peak, period, folded = float(folded_c.max()), float(candidate), folded_c
    top = int(np.argmax(folded))
    a, b, c = folded[(top - 1) % bins], folded[top], folded[(top + 1) % bins]
    offset = 0.0
    denominator = a - 2 * b + c
    if denominator < 0:
        offset = 0.5 * (a - c) / denominator
    phase = (((top + 0.5 + offset) / bins) * period) % period
    return period, phase, pulse_clarity(envelope, frame_rate, period, phase)


def pulse_clarity(envelope: np.ndarray, frame_rate: float, period: float, phase: float) -> float:
    """0..1: how much stronger onsets are on the beats than a quarter-beat off them.

    About 1 for a click track, well above 0.3 for music with a beat, near 0 for noise or a drone.
    """
    duration = len(envelope) / frame_rate
    beats = np.arange(phase, duration - period / 4, period)
    if len(beats) < 2:
        return 0.0
    on = float(np.median(_beat_strengths(envelope, frame_rate, beats)))
    off = float(
        np.median(
            np.concatenate(
                [
                    _beat_strengths(envelope, frame_rate, beats + shift)
                    for shift in (-period / 4, period / 4)
                ]
            )
        )
    )
    return float(max(0.0, 1.0 - off / on)) if on > 0 else 0.0


def _beat_strengths(envelope: np.ndarray, frame_rate: float, beats: np.ndarray) -> np.ndarray:
    """The envelope's peak within ±25 ms of each beat."""
    radius = max(1, round(0.025 * frame_rate))
    strengths = np.zeros(len(beats))
    for i, time in enumerate(beats):
        centre = round(time * frame_rate)
        lo, hi = max(0, centre - radius), min(len(envelope), centre + radius + 1)
        strengths[i] = envelope[lo:hi].max() if hi > lo else 0.0
    return strengths


def _accented_position(strengths: np.ndarray, first: int) -> int | None:
    """The bar position (0..3, relative to beat 0) whose beats stand out, if one does."""
    body = strengths[first:]
    if len(body) < 2 * BEATS_PER_BAR:
        return None
    positions = (first + np.arange(len(body))) % BEATS_PER_BAR
    means = np.array([body[positions == p].mean() for p in range(BEATS_PER_BAR)])
    ordered = np.sort(means)
    if ordered[-1] <= 0 or ordered[-1] < ACCENT_RATIO * ordered[-2]:
        return None
    return int(np.argmax(means))


def _beat_loudness(samples: np.ndarray, sample_rate: int, beats: np.ndarray, span: float):
    """RMS of ``samples`` over ``span`` seconds from each beat."""
    width = max(1, round(span * sample_rate))
    values = np.zeros(len(beats))
    for i, time in enumerate(beats):
        lo = max(0, round(time * sample_rate))
        chunk = samples[lo : lo + width]
        values[i] = float(np.sqrt(np.mean(chunk * chunk))) if len(chunk) else 0.0
    return values


def find_first_downbeat(
    samples: np.ndarray,
    sample_rate: int,
    envelope: np.ndarray,
    period: float,
    phase: float,
) -> float:
    """Count 1 of the first bar where the music has started.

    The music starts at the first beat with an onset of at least 30 % of a typical beat. Count 1
    is the bar position whose bass (below LOW_BAND_HZ) is loudest by ``ACCENT_RATIO`` (bachata's
    bass lands on 1), else the one that is loudest over all frequencies (an accented click),
    else the first beat. Loudness is the RMS just after each beat, not the onset's sharpness.
    """
    frame_rate = _frame_rate(sample_rate)
    duration = len(envelope) / frame_rate
    start = phase - period if phase - period >= -EARLY_TOLERANCE_S else phase
    beats = np.arange(start, duration, period)
    if len(beats) == 0:
        return 0.0
    strengths = _beat_strengths(envelope, frame_rate, beats)
    typical = float(np.median(strengths[strengths > 0])) if np.any(strengths > 0) else 0.0
    sounding = np.nonzero(strengths >= 0.3 * typical)[0] if typical > 0 else np.array([0])
    first = int(sounding[0]) if len(sounding) else 0
    span = min(0.1, period / 3)
    accent = _accented_position(
        _beat_loudness(low_pass(samples, sample_rate, LOW_BAND_HZ), sample_rate, beats, span),
        first,
    )
    if accent is None:
        accent = _accented_position(_beat_loudness(samples, sample_rate, beats, span), first)
    index = first if accent is None else first + ((accent - first) % BEATS_PER_BAR)
    return float(max(0.0, beats[min(index, len(beats) - 1)]))


def phrase_energy(
    samples: np.ndarray, sample_rate: int, first_beat: float, bpm: float
) -> tuple[float, ...]:
    """RMS of each 8-count phrase from ``first_beat``; a final partial phrase counts if ≥ 1/4."""
    phrase = BEATS_PER_PHRASE * 60.0 / bpm
    samples = np.asarray(samples, dtype=np.float64)
    duration = len(samples) / sample_rate
    values = []
    index = 0
    while (start := first_beat + index * phrase) < duration - 0.25 * phrase:
        lo = round(start * sample_rate)
        hi = min(len(samples), round((start + phrase) * sample_rate))
        chunk = samples[lo:hi]
        values.append(round(float(np.sqrt(np.mean(chunk * chunk))), 6) if len(chunk) else 0.0)
        index += 1
    return tuple(values)


def detect_beat_grid(
    samples: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    *,
    bpm: float | None = None,
) -> BeatGrid:
    """Tempo and first downbeat of ``samples``; with ``bpm`` given only the phase is fitted."""
    if len(samples) < sample_rate:
        raise AnalysisError("the audio is too short to analyse (under one second)")
    envelope = onset_envelope(samples, sample_rate)
    if not np.any(envelope > 0):
        raise AnalysisError("the audio is silent")
    frame_rate = _frame_rate(sample_rate)
    if bpm is None:
        period, phase, clarity = fit_period_and_phase(
            envelope, frame_rate, coarse_bpm(envelope, frame_rate)
        )
    else:
        period, phase, clarity = fit_period_and_phase(envelope, frame_rate, bpm, search=0.0)
    first = find_first_downbeat(samples, sample_rate, envelope, period, phase)
    return BeatGrid(bpm=60.0 / period, first_beat=first, confidence=clarity)


def analyse_samples(
    samples: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    *,
    bpm: float | None = None,
    first_beat: float | None = None,
) -> SongAnalysis:
    """Everything the generator needs about a song; given values win over detected ones.

    AnalysisError when the tempo must be detected and cannot be (silence, under a second).
    With ``bpm`` given, a first beat that cannot be found is taken as 0 s.
    """
    duration = len(samples) / sample_rate
    if bpm is not None and first_beat is not None:
        grid = BeatGrid(bpm=bpm, first_beat=first_beat, confidence=1.0)
    elif bpm is not None:
        try:
            grid = detect_beat_grid(samples, sample_rate, bpm=bpm)
        except AnalysisError:
            grid = BeatGrid(bpm=bpm, first_beat=0.0, confidence=0.0)
    else:
        try:
            grid = detect_beat_grid(samples, sample_rate)
        except AnalysisError as exc:
            raise AnalysisError(
                f"cannot detect the tempo: {exc.message}", details="pass the tempo with --bpm"
            ) from exc
    final_bpm = bpm if bpm is not None else round(grid.bpm, 3)
    final_first = first_beat if first_beat is not None else round(grid.first_beat, 4)
    final_first = min(max(0.0, final_first), max(0.0, duration))
    return SongAnalysis(
        duration=duration,
        bpm=final_bpm,
        first_beat=final_first,
        confidence=round(grid.confidence, 3),
        energy_curve=phrase_energy(samples, sample_rate, final_first, final_bpm),
        bpm_source="given" if bpm is not None else "detected",
        first_beat_source="given" if first_beat is not None else "detected",
    )


def detect_tempo(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float | None:
    """A clip's tempo from its own audio, or None when there is no clear pulse."""
    try:
        grid = detect_beat_grid(samples, sample_rate)
    except AnalysisError:
        return None
    return round(grid.bpm, 2) if grid.confidence >= MIN_CONFIDENCE else None
