"""EBU R128 loudness: what FFmpeg's ``loudnorm`` measured, parsed from its JSON report.

Songs are normalized in two passes: the first measures the source (``print_format=json``), the
second feeds those figures back with ``linear=true`` so a song whose peaks allow it is simply
turned up or down (no compression); one that cannot reach the target linearly without clipping
its true peak gets loudnorm's dynamic mode. Both passes print this report; only the parsing
lives here, the commands are built by ``FFmpegCommandBuilder``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from assembly.errors import MediaError

SILENCE_LUFS = -70.0
"""EBU R128's absolute gate: below it there is nothing to normalize (and loudnorm cannot)."""


@dataclass(frozen=True)
class LoudnessReport:
    """One loudnorm report: the input as measured, and its own output (LUFS, dBTP, LU)."""

    input_i: float
    input_tp: float
    input_lra: float
    input_thresh: float
    output_i: float
    output_tp: float
    output_lra: float
    output_thresh: float
    normalization_type: str
    target_offset: float

    @property
    def silent(self) -> bool:
        """True when the input is quieter than the absolute gate (or digital silence)."""
        return not math.isfinite(self.input_i) or self.input_i < SILENCE_LUFS


_FLOAT_FIELDS = (
    "input_i", "input_tp", "input_lra", "input_thresh",
    "output_i", "output_tp", "output_lra", "output_thresh", "target_offset",
)  # fmt: skip


def parse_loudnorm_report(stderr: str, *, stage: str = "importing") -> LoudnessReport:
    """The last JSON object loudnorm printed on stderr; MediaError when there is none."""
    start, end = stderr.rfind("{"), stderr.rfind("}")
    try:
        if start < 0 or end < start:
            raise ValueError("no JSON object")
        raw = json.loads(stderr[start : end + 1])
        values = {name: float(raw[name]) for name in _FLOAT_FIELDS}
        kind = str(raw["normalization_type"])
    except (ValueError, KeyError, TypeError) as exc:
        raise MediaError(
            f"FFmpeg printed no loudness report ({exc})", stage=stage, details=stderr[-2000:]
        ) from exc
    return LoudnessReport(**values, normalization_type=kind)
