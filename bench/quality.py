"""Encoder settings on evidence: SSIM, bitrate and encode time of canonical clips at 720p.

Run: ``uv run python bench/quality.py [--size 1280x720] [--seconds 3] [--crf 18 20 ... 28]
[--preset veryfast medium] [--threshold 0.96]``

Synthesizes (once, cached under bench/out/quality/) phone-like 30 fps sources at the target size,
each a different kind of hard for an encoder:

  graphics  FFmpeg's testsrc2: sharp edges, text, a moving gradient
  downscaled  the same with light grain at 1.5 times the size (1080p footage into a 720p
            library, as most phones film): more detail per canonical pixel
  dancer    a figure moving like a dancer (sway, bounce) before a plain wall with sensor grain
  pan       a slow camera pan across a busy scene (64 small pictures with text) with light grain

stored as H.264 High with B-frames at near-lossless quality (CRF 12), like a good phone. Then it
normalizes every source at each CRF x preset with the real command (``normalize_clip``), and
measures against the source put through the same scale/pad chain (``fit_filter``), so only the
encode is judged:

  SSIM      FFmpeg's ``ssim`` filter, "All" (luma and chroma) of the worst frame of the worst
            source: the mean over a clip hides the frames that look bad
  kbit/s    the canonical clip's video bitrate (storage per clip, bytes copied per request)
  speed     seconds of footage encoded per second of wall time on this machine

and picks the default: the lowest bitrate whose worst frame reaches ``--threshold`` plus
``--margin`` (so an x264 or FFmpeg upgrade does not tip it under) while
encoding at least half as fast as the fastest setting tried (import time is paid once per clip,
and again for every clip by ``renormalize``; speeds are relative, the machine may be shared).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assembly import FFmpegCommandBuilder, VideoFormat, fit_filter  # noqa: E402

OUT = ROOT / "bench" / "out" / "quality"
SSIM_ALL = re.compile(r"All:([0-9.]+)")
SSIM_THRESHOLD = 0.96
"""The least SSIM a canonical clip must keep against its source (tests/test_canonical.py)."""


def sources(width: int, height: int, seconds: float) -> dict[str, str]:
    """lavfi graphs of the synthesized sources (one output each)."""
    size = f"{width}x{height}"
    fig_w, fig_h = width // 8, height * 7 // 12
    return {
        "graphics": f"testsrc2=s={size}:r=30:d={seconds}",
        "downscaled": (
            f"testsrc2=s={width * 3 // 2}x{height * 3 // 2}:r=30:d={seconds},noise=alls=3:allf=t"
        ),
        "dancer": (
            f"color=c=0x8a7a60:s={size}:r=30:d={seconds},noise=alls=3:allf=t[wall];"
            f"testsrc=s={fig_w}x{fig_h}:r=30:d={seconds},hue=s=0.6[figure];"
            "[wall][figure]overlay=x='(W-w)/2+W/4*sin(2*PI*t/1.9)'"
            ":y='(H-h)/2-H/16*abs(sin(2*PI*t/0.93))':shortest=1"
        ),
        "pan": (
            f"testsrc2=s={width // 4}x{height // 4}:r=30,tile=8x8,trim=end_frame=1,"
            "loop=loop=-1:size=1,setpts=N/30/TB,"
            f"crop={width}:{height}:x='t*{width // 10}':y='t*{height // 12}',"
            f"noise=alls=3:allf=t,trim=duration={seconds}"
        ),
    }


def ffmpeg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-y", *args],
        check=True,
        capture_output=True,
        text=True,
    )


def make_source(name: str, graph: str, size: str, seconds: float) -> Path:
    path = OUT / f"{name}-for-{size}-{seconds:g}s.mp4"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        ffmpeg(
            "-f", "lavfi", "-i", graph, "-t", f"{seconds}",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-bf", "2",
            "-profile:v", "high", "-pix_fmt", "yuv420p", str(path),
        )  # fmt: skip
    return path


def ssim_frames(canonical: Path, source: Path, fmt: VideoFormat) -> list[float]:
    """Per-frame SSIM of ``canonical`` against ``source`` scaled and padded by the same chain."""
    stats = canonical.with_suffix(".ssim.log")
    try:
        ffmpeg(
            "-i", str(canonical), "-i", str(source),
            "-lavfi", f"[1:v]{fit_filter(fmt)}[ref];[0:v][ref]ssim=stats_file={stats}",
            "-f", "null", "-",
        )  # fmt: skip
        found = [float(v) for v in SSIM_ALL.findall(stats.read_text())]
    finally:
        stats.unlink(missing_ok=True)
    if not found:
        raise RuntimeError(f"no SSIM for {canonical}")
    return found


def ssim(canonical: Path, source: Path, fmt: VideoFormat) -> float:
    """The worst frame's SSIM: one blocky frame in a move is what a dancer notices."""
    return min(ssim_frames(canonical, source, fmt))


@dataclass(frozen=True)
class Measure:
    source: str
    crf: int
    preset: str
    ssim: float
    kbps: float
    speed: float


def measure(name: str, source: Path, fmt: VideoFormat, seconds: float) -> Measure:
    target = OUT / f"canonical-{name}.mp4"
    argv = FFmpegCommandBuilder().normalize_clip(source, target, fmt)
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    elapsed = time.perf_counter() - started
    kbps = target.stat().st_size * 8 / seconds / 1000
    return Measure(name, fmt.crf, fmt.preset, ssim(target, source, fmt), kbps, seconds / elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--crf", type=int, nargs="+", default=[18, 20, 22, 24, 26, 28])
    parser.add_argument("--preset", nargs="+", default=["veryfast", "medium"])
    parser.add_argument("--threshold", type=float, default=SSIM_THRESHOLD)
    parser.add_argument(
        "--margin", type=float, default=0.005, help="kept above the threshold for x264 upgrades"
    )
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    files = {
        name: make_source(name, graph, args.size, args.seconds)
        for name, graph in sources(width, height, args.seconds).items()
    }
    print(f"sources: {', '.join(files)} ({args.size}, {args.seconds:g} s, 30 fps)")
    print(f"{'preset':<9} {'crf':>3}  {'worst SSIM':>10} {'mean worst':>10}  {'kbit/s':>7}  speed")
    rows = []
    for preset in args.preset:
        for crf in args.crf:
            fmt = VideoFormat(width=width, height=height, fps=30, crf=crf, preset=preset)
            found = [measure(name, path, fmt, args.seconds) for name, path in files.items()]
            worst = min(m.ssim for m in found)
            mean = sum(m.ssim for m in found) / len(found)
            kbps = sum(m.kbps for m in found) / len(found)
            speed = min(m.speed for m in found)
            detail = " ".join(f"{m.source}={m.ssim:.4f}/{m.kbps:.0f}k" for m in found)
            print(
                f"{preset:<9} {crf:>3}  {worst:>10.4f} {mean:>10.4f}  {kbps:>7.0f}  "
                f"{speed:4.1f}x  ({detail})",
                flush=True,
            )
            rows.append((preset, crf, worst, kbps, speed))
    fastest = max(r[4] for r in rows)
    floor = args.threshold + args.margin
    fit = [r for r in rows if r[2] >= floor and r[4] >= fastest / 2]
    if not fit:
        print(f"no setting reaches SSIM {floor} at half the fastest speed")
        return
    preset, crf, worst, kbps, speed = min(fit, key=lambda r: r[3])
    print(
        f"pick: preset={preset} crf={crf}: worst SSIM {worst:.4f}, {kbps:.0f} kbit/s, "
        f"{speed:.1f}x real time"
    )


if __name__ == "__main__":
    main()
