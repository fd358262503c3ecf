"""Quota reservations: a running generation holds its estimated size against its user's quota.

A generation's size is unknown until it is made, so checking the quota against finished videos
alone lets parallel generations overshoot it (each sees room, all complete). Instead, when a
generation claims its task row (``service._claim_row``, inside the transaction that locks the
user's row) its size is estimated up front and stored on the row as ``reserved_bytes``; the
quota check counts the user's finished videos plus the reservations of their live running rows
plus the new estimate.

The reservation is the running row itself, so nothing can leak it: completing the row swaps it
for the real size (the same UPDATE sets ``status`` completed and ``result.size_bytes``), failing
or cancelling the row (``status`` failed) drops it, and a row whose owner died stops counting as
soon as its lease expires (``leases.live_rows``).

The estimate: the video is the song's length of stream-copied clips plus the song's AAC, so it
is the highest bitrate among the moves it may use (their streams' frame index gives bytes per
frame) times the song's duration, with a margin for re-timed variants and the container.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Sum

from assembly import AudioFormat, VideoFormat
from choreography.errors import QuotaExceededError
from choreography.generation.leases import live_rows
from choreography.models import ChoreographyTask, Move, TaskStatus

MIB = 1024 * 1024
MARGIN = 1.25
"""Tempo variants are re-encoded at the clip's CRF: their bitrate is close to, not equal to, the
clip's; the MP4 container adds its index."""
CONTAINER_BYTES = 64 * 1024
FALLBACK_BITS_PER_PIXEL = 0.25
"""For a library without frame indexes: well above what x264 at the canonical CRF produces."""


def _bytes_per_frame(move: Move) -> float:
    offsets = move.frame_offsets or []
    if len(offsets) < 2:
        return 0.0
    return (offsets[-1] - offsets[0]) / (len(offsets) - 1)


def estimate_bytes(
    *, duration_s: float, moves: Iterable[Move], video: VideoFormat, audio: AudioFormat
) -> int:
    """An upper estimate of a generation's video size, in bytes."""
    per_frame = max((_bytes_per_frame(m) for m in moves), default=0.0)
    if per_frame <= 0:
        per_frame = FALLBACK_BITS_PER_PIXEL * video.width * video.height / 8
    audio_bps = _bits_per_second(audio.bitrate) / 8
    body = duration_s * (per_frame * video.fps + audio_bps)
    return int(body * MARGIN) + CONTAINER_BYTES


def _bits_per_second(bitrate: str) -> float:
    """``"128k"`` → 128000."""
    scale = {"k": 1e3, "m": 1e6}.get(bitrate[-1:].lower(), 1.0)
    return float(bitrate.rstrip("kKmM")) * scale


def stored_bytes(user_id) -> int:
    """The sum of the user's completed videos' sizes (sync: inside the claim's transaction)."""
    sizes = ChoreographyTask.objects.filter(
        user_id=user_id, status=TaskStatus.COMPLETED
    ).values_list("result__size_bytes", flat=True)
    return sum(int(size or 0) for size in sizes)


def reserved_bytes(user_id, *, lease_s: float) -> int:
    """What the user's live running generations hold (sync: inside the claim's transaction)."""
    held = live_rows(lease_s).filter(user_id=user_id).aggregate(total=Sum("reserved_bytes"))
    return int(held["total"] or 0)


def check_room(user_id, *, estimate: int, lease_s: float) -> None:
    """QuotaExceededError unless the user's stored videos, their running generations'
    reservations and ``estimate`` all fit in CHOREO_USER_QUOTA_MB.

    Called with the user's row locked, so two claims never both see the same room.
    """
    quota = settings.CHOREO.user_quota_mb * MIB
    stored = stored_bytes(user_id)
    reserved = reserved_bytes(user_id, lease_s=lease_s)
    if stored + reserved + estimate <= quota:
        return
    running = f", {reserved / MIB:.1f} MB held by generations in progress" if reserved else ""
    raise QuotaExceededError(
        f"storage quota reached: {stored / MIB:.1f} MB used{running} of {quota / MIB:.1f} MB; "
        f"this generation needs about {estimate / MIB:.1f} MB",
        details="the generate was refused; delete saved or unsaved choreographies to free "
        "room, or wait for your running generations to finish (CHOREO_USER_QUOTA_MB)",
    )
