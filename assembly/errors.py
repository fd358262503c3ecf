"""The one exception family of choreo. Every error knows the stage where it happened.

    ChoreoError                      base; .stage, .details
    ├── BlueprintError               the plan is invalid (stage "validation")
    ├── FFmpegNotFoundError          no usable ffmpeg/ffprobe binary (stage "setup")
    ├── FFmpegError                  ffmpeg exited non-zero; carries argv, returncode, stderr tail
    ├── MediaError                   an input is not decodable media (probe failed)
    │   └── MediaRejectedError       ... or is media the library does not take (limits.py)
    ├── InputFetchError              a source file could not be fetched (names the key)
    │   └── InputNotFoundError       ... because it does not exist
    ├── UploadError                  the result could not be stored
    ├── AssemblyTimeoutError         the assembly exceeded its time budget
    └── (the Django app adds request-level errors: bad input, unknown song, auth)

Third-party errors (storage, OS) are translated where they are caught, with ``raise ... from exc``.
"""

from __future__ import annotations

from collections.abc import Sequence


class ChoreoError(Exception):
    """Base of every error choreo raises on purpose."""

    default_stage = "unknown"

    def __init__(self, message: str, *, stage: str | None = None, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.stage = stage or self.default_stage
        self.details = details


class BlueprintError(ChoreoError):
    """Raised when a blueprint fails validation, before any I/O starts."""

    default_stage = "validation"


class FFmpegNotFoundError(ChoreoError):
    """Raised when the FFmpeg binaries are missing or do not run."""

    default_stage = "setup"


class MediaError(ChoreoError):
    """Raised when a file is not media FFmpeg can decode (e.g. at import)."""

    default_stage = "probing"


class MediaRejectedError(MediaError):
    """Raised when an imported file is readable but not taken: a container off the allow-list
    (a playlist, a concat list, a picture), too long, too large a frame, not moving video.
    Found from the probe, before anything is decoded."""

    default_stage = "validation"


class FFmpegError(ChoreoError):
    """Raised when an FFmpeg process exits non-zero."""

    def __init__(
        self, *, argv: Sequence[str], returncode: int | None, stderr_tail: str, stage: str
    ) -> None:
        super().__init__(
            f"ffmpeg failed with exit code {returncode}",
            stage=stage,
            details=stderr_tail,
        )
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class InputFetchError(ChoreoError):
    """Raised when a blueprint input cannot be fetched from storage."""

    default_stage = "fetching"

    def __init__(self, message: str, *, key: str, details: str = "") -> None:
        super().__init__(message, details=details)
        self.key = key


class InputNotFoundError(InputFetchError):
    """Raised when a blueprint input does not exist in storage."""


class UploadError(ChoreoError):
    """Raised when the finished video cannot be uploaded."""

    default_stage = "uploading"


class AssemblyTimeoutError(ChoreoError):
    """Raised when the assembly exceeds its time budget; stage is where it was cut."""
