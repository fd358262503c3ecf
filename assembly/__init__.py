"""FFmpeg assembly: blueprint validation, pure command building, one process runner, the service.

Plain asyncio; never imports Django. Depends only on ``storage``. This module is the public
surface: layers above import from ``assembly``, never from its modules.
"""

from assembly.blueprint import Blueprint, BlueprintMove, OutputConfig
from assembly.commands import FFmpegCommandBuilder, fit_filter, frames_for_timeline
from assembly.errors import (
    AssemblyTimeoutError,
    BlueprintError,
    ChoreoError,
    FFmpegError,
    FFmpegNotFoundError,
    InputFetchError,
    InputNotFoundError,
    MediaError,
    MediaRejectedError,
    UploadError,
)
from assembly.formats import AudioFormat, VideoFormat
from assembly.limits import (
    MEDIA_DEMUXERS,
    MOVE_DEMUXERS,
    SONG_DEMUXERS,
    InputLimits,
    check_clip,
    check_song,
)
from assembly.loudness import LoudnessResult
from assembly.media import (
    ElementaryStream,
    elementary_stream,
    prepare_clip,
    prepare_song,
    retime_clip,
)
from assembly.phone import (
    PhoneFacts,
    PhoneInputError,
    cut_clip,
    cut_frames,
    decode_sound,
    make_preview,
    probe_phone_clip,
    take_posters,
    whole_counts,
)
from assembly.probe import MediaInfo, probe
from assembly.runner import (
    NICENESS,
    ExitCause,
    ProcessObserver,
    observe_processes,
    run_process,
)
from assembly.service import STAGE_PROGRESS, AssemblyResult, ClipHint, VideoAssemblyService
from assembly.tasks import gather_or_cancel
from assembly.workdir import finish, remove_tree, work_dir

__all__ = [
    "MEDIA_DEMUXERS",
    "MOVE_DEMUXERS",
    "NICENESS",
    "SONG_DEMUXERS",
    "STAGE_PROGRESS",
    "AssemblyResult",
    "AssemblyTimeoutError",
    "AudioFormat",
    "Blueprint",
    "BlueprintError",
    "BlueprintMove",
    "ChoreoError",
    "ClipHint",
    "ElementaryStream",
    "ExitCause",
    "FFmpegCommandBuilder",
    "FFmpegError",
    "FFmpegNotFoundError",
    "InputFetchError",
    "InputLimits",
    "InputNotFoundError",
    "LoudnessResult",
    "MediaError",
    "MediaInfo",
    "MediaRejectedError",
    "OutputConfig",
    "PhoneFacts",
    "PhoneInputError",
    "ProcessObserver",
    "UploadError",
    "VideoAssemblyService",
    "VideoFormat",
    "check_clip",
    "check_song",
    "cut_clip",
    "cut_frames",
    "decode_sound",
    "elementary_stream",
    "finish",
    "fit_filter",
    "frames_for_timeline",
    "gather_or_cancel",
    "make_preview",
    "observe_processes",
    "prepare_clip",
    "prepare_song",
    "probe",
    "probe_phone_clip",
    "remove_tree",
    "retime_clip",
    "run_process",
    "take_posters",
    "whole_counts",
    "work_dir",
]
