"""The canonical media formats: what every library clip and song is normalized to once, at import.

Clips that share one format join by stream copy; that is what makes a request cost seconds, not minutes.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class VideoFormat(BaseModel):
    """One H.264 profile for the whole library: same size, rate, pixel format, time base, no B-frames."""

    model_config = ConfigDict(frozen=True)

    width: int = Field(640, ge=16, le=3840, multiple_of=2)
    height: int = Field(360, ge=16, le=2160, multiple_of=2)
    fps: int = Field(30, ge=1, le=120)
    pix_fmt: str = "yuv420p"
    profile: str = "high"
    level: str = "4.0"
    crf: int = Field(20, ge=0, le=51)
    preset: str = "veryfast"

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
