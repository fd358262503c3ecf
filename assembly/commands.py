"""FFmpegCommandBuilder: pure functions from plans and paths to argv lists. No I/O here.

Every command starts with ``-nostdin`` (FFmpeg must never wait on a terminal) and
``-progress pipe:1 -nostats`` so the runner reads machine-readable progress from stdout.
Commands that open a file from outside (an upload, an imported file, its kept original) open it
through ``open_input``: the ``file`` protocol only, the demuxers of an allow-list only, pictures
of at most ``MAX_DECODE_PIXELS`` (assembly.limits).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assembly.formats import AudioFormat, VideoFormat
from assembly.limits import ALLOWED_PROTOCOLS, MAX_DECODE_PIXELS, MEDIA_DEMUXERS
from assembly.loudness import LoudnessMeasurement


def frames_for_timeline(ends: Sequence[float], fps: int) -> list[int]:
    """Frames per segment so that each cumulative end lands on the frame nearest its planned time."""
    counts = []
    previous = 0
    for end in ends:
        boundary = round(end * fps)
        counts.append(boundary - previous)
        previous = boundary
    return counts


def loudnorm_filter(fmt: AudioFormat, measured: LoudnessMeasurement) -> str:
    """Loudness pass two for a song gain alone cannot bring to ``fmt``'s target: ``loudnorm``
    fed pass one's figures (it then limits the true peak, and prints what it produced)."""
    return "loudnorm=" + ":".join(
        [
            f"I={fmt.loudness_lufs:g}",
            f"TP={fmt.true_peak_dbtp:g}",
            f"LRA={fmt.loudness_range_lu:g}",
            f"measured_I={measured.integrated:.2f}",
            f"measured_TP={measured.true_peak:.2f}",
            f"measured_LRA={measured.lra:.2f}",
            f"measured_thresh={measured.threshold:.2f}",
            "linear=true",
            "print_format=json",
        ]
    )


def volume_filter(segments: Sequence[tuple[float, float, float]]) -> str | None:
    """The song's gain per stretch of the video: ``volume`` filters enabled from ``start``
    (inclusive) to ``end`` (exclusive), so adjacent stretches never both apply. None when there
    is nothing to change. The ``enable`` expression is evaluated once per decoded audio frame
    (1024 samples, 23 ms at 44.1 kHz): a change lands within that of the move's cut.
    """
    if not segments:
        return None
    return ",".join(
        f"volume=enable='gte(t,{start:.6f})*lt(t,{end:.6f})':volume={gain:g}"
        for start, end, gain in segments
    )


def fit_filter(fmt: VideoFormat) -> str:
    """The filter chain that puts any source in ``fmt``'s frame: scaled to fit, padded, never
    stretched.

    Non-square pixels are made square first (``scale=iw*sar``), so anamorphic footage keeps its
    shape. The picture is then scaled, up or down, until it touches two opposite edges, and the
    rest is black: bars above and below a wider source, at the sides of a portrait one. A small
    source is upscaled rather than shown small in a black frame, so a dancer is the same size on
    screen whichever phone filmed the move.
    """
    w, h = fmt.width, fmt.height
    return (
        "scale='trunc(iw*sar/2)*2':'trunc(ih/2)*2',setsar=1,"
        f"scale={w}:{h}:force_original_aspect_ratio=decrease:force_divisible_by=2,"
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:black,setsar=1,fps={fmt.fps},format={fmt.pix_fmt}"
    )


class FFmpegCommandBuilder:
    """Builds every FFmpeg/ffprobe command choreo runs, as argv lists."""

    def __init__(self, ffmpeg: str = "ffmpeg", ffprobe: str = "ffprobe") -> None:
        self.ffmpeg = ffmpeg
        self.ffprobe = ffprobe

    def base_args(self) -> list[str]:
        return [self.ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-progress", "pipe:1", "-y"]

    def version(self) -> list[str]:
        return [self.ffmpeg, "-nostdin", "-hide_banner", "-version"]

    def input_guard(self, formats: str = MEDIA_DEMUXERS) -> list[str]:
        """Input options that keep FFmpeg to the file itself: no protocol but ``file`` (no
        network, no playlist of other files), no demuxer off ``formats`` (no ``hls``,
        ``concat`` or image sequence, whatever the file's name), no picture larger than
        ``MAX_DECODE_PIXELS`` decoded (ffprobe's stream analysis included)."""
        return [
            "-protocol_whitelist", ALLOWED_PROTOCOLS, "-format_whitelist", formats,
            "-max_pixels", str(MAX_DECODE_PIXELS),
        ]  # fmt: skip

    def open_input(
        self, source: Path, *, formats: str = MEDIA_DEMUXERS, max_seconds: float | None = None
    ) -> list[str]:
        """``-i source`` behind ``input_guard``; ``max_seconds`` stops reading there (a file
        whose header under-states its length is still cut at the limit)."""
        limit = ["-t", f"{max_seconds:g}"] if max_seconds is not None else []
        return [*self.input_guard(formats), *limit, "-i", str(source)]

    def probe(
        self, path: Path, *, count_packets: bool = True, formats: str = MEDIA_DEMUXERS
    ) -> list[str]:
        return [
            self.ffprobe,
            "-v",
            "error",
            *self.input_guard(formats),
            *(["-count_packets"] if count_packets else []),
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ]

    def to_annexb(
        self, clip: Path, output: Path, packets: Path, *, poster: tuple[Path, float] | None = None
    ) -> list[str]:
        """Rewrap a canonical MP4 clip's video as an Annex B elementary stream (no re-encode),
        and list the packets written to ``packets`` (``framecrc``, through the same bitstream
        filter): the stream is those packets back to back, so their sizes say where each frame
        starts (elementary.py), with no second process to parse it again.

        ``poster`` (path, seconds) also takes the poster, a JPEG of the frame at that time, from
        the clip opened a second time: ``-ss`` before that ``-i`` jumps to the keyframe before
        it and decodes from there (still exact: FFmpeg's accurate seek).
        """
        annexb = ["-map", "0:v:0", "-c", "copy", "-bsf:v", "h264_mp4toannexb"]
        argv = [*self.base_args(), "-i", str(clip)]
        if poster is not None:
            argv += ["-ss", f"{poster[1]:.3f}", "-i", str(clip)]
        argv += [*annexb, "-f", "h264", str(output), *annexb, "-f", "framecrc", str(packets)]
        if poster is not None:
            argv += [
                "-map", "1:v:0", "-frames:v", "1", "-q:v", "3", "-f", "image2", "-c:v", "mjpeg",
                "-pix_fmt", "yuvj420p", "-update", "1", str(poster[0]),
            ]  # fmt: skip
        return argv

    def mux(
        self,
        stream: Path,
        audio: Path,
        output: Path,
        fmt: VideoFormat,
        *,
        duration: float,
        copy_audio: bool = True,
        audio_codec: str = "aac",
        audio_bitrate: str = "128k",
        audio_filter: str | None = None,
        audio_start: float = 0.0,
    ) -> list[str]:
        """Wrap the joined video stream in MP4 with the song under it, cut to ``duration``.

        Video is always copied; audio is copied when it is already AAC and ``audio_filter``
        (e.g. ``volume_filter``) asks for no change, else encoded. ``+faststart`` puts the
        index first so browsers start playing before the download ends. ``audio_start``
        (seconds) plays the song from there: FFmpeg seeks the input (a copied song starts at
        the AAC packet there, within 23 ms).
        """
        seek = ["-ss", f"{audio_start:.6f}"] if audio_start > 0 else []
        if audio_filter is not None:
            audio_args = ["-af", audio_filter, "-c:a", audio_codec, "-b:a", audio_bitrate]
        elif copy_audio:
            audio_args = ["-c:a", "copy"]
        else:
            audio_args = ["-c:a", audio_codec, "-b:a", audio_bitrate]
        return [
            *self.base_args(),
            "-f", "h264", "-framerate", str(fmt.fps), "-i", str(stream),
            *seek, "-i", str(audio),
            "-map", "0:v:0", "-map", "1:a:0",
            "-c:v", "copy", *audio_args,
            "-t", f"{duration:.6f}",
            "-video_track_timescale", str(fmt.timescale),
            "-movflags", "+faststart",
            str(output),
        ]  # fmt: skip

    def normalize_clip(
        self,
        source: Path,
        output: Path,
        fmt: VideoFormat,
        *,
        formats: str = MEDIA_DEMUXERS,
        max_seconds: float | None = None,
    ) -> list[str]:
        """Transcode a clip once into the library's canonical format (video only, no B-frames)."""
        return [
            *self.base_args(),
            *self.open_input(source, formats=formats, max_seconds=max_seconds),
            "-map",
            "0:v:0",
            "-an",
            "-sn",
            "-dn",
            "-map_metadata",
            "-1",
            "-vf",
            fit_filter(fmt),
            *self.canonical_video_codec_args(fmt),
            str(output),
        ]

    def retime_clip(
        self,
        source: Path,
        output: Path,
        fmt: VideoFormat,
        *,
        frames: int,
        target_frames: int,
        held: int = 0,
    ) -> list[str]:
        """Re-time a canonical clip of ``frames`` frames to exactly ``target_frames`` (video
        only), then hold its last frame ``held`` frames more.

        Timestamps are scaled by ``target_frames / frames`` (an exact fraction), the ``fps``
        filter puts the frames back on the library's rate (dropping or repeating the nearest
        ones), the last frame is cloned (in case that comes one short, and ``held`` times), and
        ``-frames:v`` cuts at the count: exact whatever the filter's rounding at the end.
        """
        vf = (
            f"setpts=(PTS-STARTPTS)*{target_frames}/{frames},fps={fmt.fps},"
            f"tpad=stop_mode=clone:stop={2 + held},format={fmt.pix_fmt}"
        )
        return [
            *self.base_args(),
            "-i", str(source),
            "-map", "0:v:0", "-an", "-sn", "-dn", "-map_metadata", "-1",
            "-vf", vf, "-frames:v", str(target_frames + held),
            *self.canonical_video_codec_args(fmt),
            str(output),
        ]  # fmt: skip

    def canonical_video_codec_args(self, fmt: VideoFormat) -> list[str]:
        """Encoder settings shared by every canonical clip; ``stitchable`` keeps headers identical."""
        return [
            "-c:v",
            "libx264",
            "-preset",
            fmt.preset,
            "-crf",
            str(fmt.crf),
            "-profile:v",
            fmt.profile,
            "-level:v",
            fmt.level,
            "-pix_fmt",
            fmt.pix_fmt,
            "-bf",
            "0",
            "-g",
            str(fmt.gop),
            "-x264-params",
            "stitchable=1",
            "-video_track_timescale",
            str(fmt.timescale),
            "-movflags",
            "+faststart",
        ]

    def measure_loudness(
        self, source: Path, *, formats: str = MEDIA_DEMUXERS, max_seconds: float | None = None
    ) -> list[str]:
        """Loudness pass one: the EBU R128 scanner with true peak; its summary goes to stderr
        (the per-frame log is kept at verbose level, out of the output)."""
        return [
            *self.base_args(),
            *self.open_input(source, formats=formats, max_seconds=max_seconds),
            "-map", "0:a:0", "-vn", "-sn", "-dn",
            "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-",
        ]  # fmt: skip

    def normalize_audio(
        self,
        source: Path,
        output: Path,
        fmt: AudioFormat,
        *,
        gain_db: float | None = None,
        measured: LoudnessMeasurement | None = None,
        formats: str = MEDIA_DEMUXERS,
        max_seconds: float | None = None,
    ) -> list[str]:
        """Transcode a song once to AAC in an M4A container.

        Loudness pass two (assembly.loudness): ``gain_db`` applies a plain gain; ``measured``
        runs loudnorm instead, which works at 192 kHz: ``-ar`` brings the output back.
        """
        if measured is not None:
            audio_filter = ["-af", loudnorm_filter(fmt, measured)]
        elif gain_db is not None:
            audio_filter = ["-af", f"volume={gain_db:.2f}dB"]
        else:
            audio_filter = []
        return [
            *self.base_args(),
            *self.open_input(source, formats=formats, max_seconds=max_seconds),
            "-map",
            "0:a:0",
            "-vn",
            "-sn",
            "-dn",
            "-map_metadata",
            "-1",
            *audio_filter,
            "-c:a",
            fmt.codec,
            "-b:a",
            fmt.bitrate,
            "-ar",
            str(fmt.sample_rate),
            "-ac",
            str(fmt.channels),
            "-movflags",
            "+faststart",
            str(output),
        ]

    def decode_audio_pcm(
        self,
        source: Path,
        output: Path,
        sample_rate: int,
        *,
        formats: str = MEDIA_DEMUXERS,
        max_seconds: float | None = None,
    ) -> list[str]:
        """Decode the first audio stream to raw mono float32 PCM, for tempo and energy analysis."""
        return [
            *self.base_args(),
            *self.open_input(source, formats=formats, max_seconds=max_seconds),
            "-map",
            "0:a:0",
            "-vn",
            "-sn",
            "-dn",
            "-ac",
            "1",
            "-ar",
            str(sample_rate),
            "-f",
            "f32le",
            "-c:a",
            "pcm_f32le",
            str(output),
        ]
