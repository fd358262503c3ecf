"""The canonical media formats: what every library clip and song is normalized to once, at import.

Clips that share one format join by stream copy; that is what makes a request cost seconds, not minutes.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class VideoFormat(BaseModel):
    """One H.264 profile for the whole library: same size, rate, pixel format, time base, no B-frames."""

    model_config = ConfigDict(frozen=True)

    width: int = Field(1280, ge=16, le=3840, multiple_of=2)
    height: int = Field(720, ge=16, le=2160, multiple_of=2)
    fps: int = Field(30, ge=1, le=120)
    pix_fmt: str = "yuv420p"
    profile: str = "high"
    level: str = "4.0"
    crf: int = Field(26, ge=0, le=51)
    """Chosen by bench/quality.py: the cheapest CRF whose worst frame keeps SSIM >= 0.96 with a
    margin, at 720p and on a detail-dense small source (README, Video quality)."""
    preset: str = "veryfast"
    """medium spends more bits for the same SSIM at 2-3 times the encode time (bench/quality.py)."""

    @property
    def frame(self) -> str:
        """What clips must share to join by stream copy: ``1280x720@30``."""
        return f"{self.width}x{self.height}@{self.fps}"

    @property
    def label(self) -> str:
        """Everything a canonical clip was built with: ``1280x720@30 crf26 veryfast``.

        Recorded on each move, so ``renormalize`` knows which clips are already in a format.
        """
        return f"{self.frame} crf{self.crf} {self.preset}"

    @property
    def timescale(self) -> int:
        """MP4 track timescale: a whole number of ticks per frame keeps boundaries exact."""
        return self.fps * 512

    @property
    def gop(self) -> int:
        return self.fps * 2


class AudioFormat(BaseModel):
    """Songs are stored as AAC in MP4/M4A so the assembly lays them under the video by copy,
    all at one loudness (EBU R128), so no song plays louder than the next."""

    model_config = ConfigDict(frozen=True)

    codec: str = "aac"
    bitrate: str = "128k"
    sample_rate: int = 44100
    channels: int = 2
    loudness_lufs: float = Field(-14.0, ge=-70.0, le=-5.0)
    """Integrated loudness target (LUFS), as streaming services play music."""
    true_peak_dbtp: float = Field(-1.0, ge=-9.0, le=0.0)
    """True-peak ceiling (dBTP): headroom for the AAC encoder's overshoot."""
    loudness_range_lu: float = Field(11.0, ge=1.0, le=20.0)
    """Loudness range (LU) above which loudnorm compresses instead of only changing the gain."""
