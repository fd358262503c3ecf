"""FFmpeg assembly: blueprint validation, pure command building, one process runner, the service.

Plain asyncio; never imports Django. Depends only on ``storage``.
"""

from assembly.blueprint import Blueprint, BlueprintMove, OutputConfig
from assembly.commands import FFmpegCommandBuilder
from assembly.errors import ChoreoError
from assembly.formats import AudioFormat, VideoFormat
from assembly.service import STAGE_PROGRESS, AssemblyResult, ClipHint, VideoAssemblyService

__all__ = [
    "STAGE_PROGRESS",
    "AssemblyResult",
    "AudioFormat",
    "Blueprint",
    "BlueprintMove",
    "ChoreoError",
    "ClipHint",
    "FFmpegCommandBuilder",
    "OutputConfig",
    "VideoAssemblyService",
    "VideoFormat",
]
