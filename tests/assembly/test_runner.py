"""The FFmpeg runner: errors carry argv and stderr; no child outlives a timeout or a cancel."""

import asyncio
import os

import pytest

from assembly.errors import AssemblyTimeoutError, FFmpegError, FFmpegNotFoundError
from assembly.runner import NICENESS, observe_processes, run_process
from tests.helpers import child_ffmpeg_pids, pid_alive

ENDLESS = [
    "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-progress", "pipe:1",
    "-re", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=10", "-f", "null", "-",
]  # fmt: skip


async def test_failure_carries_argv_returncode_and_stderr_tail(tmp_path):
    """A failing FFmpeg raises FFmpegError with what it printed."""
    missing = tmp_path / "nope.mp4"
    argv = ["ffmpeg", "-nostdin", "-i", str(missing), "-f", "null", "-"]
    with pytest.raises(FFmpegError) as caught:
        await run_process(argv, stage="concatenating")
    error = caught.value
    assert error.argv == argv
    assert error.returncode != 0
    assert "No such file or directory" in error.stderr_tail
    assert error.stage == "concatenating"


async def test_missing_binary_is_a_clear_error():
    """A binary that does not exist raises FFmpegNotFoundError, not OSError."""
    with pytest.raises(FFmpegNotFoundError, match="is required"):
        await run_process(["ffmpeg-does-not-exist", "-version"], stage="setup")


async def test_progress_is_reported_in_seconds():
    """-progress pipe:1 output becomes increasing seconds-written callbacks."""
    seen: list[float] = []
    argv = [
        "ffmpeg", "-nostdin", "-nostats", "-progress", "pipe:1", "-f", "lavfi",
        "-i", "testsrc2=s=160x120:r=25:d=3", "-f", "null", "-",
    ]  # fmt: skip
    await run_process(argv, stage="test", on_progress=seen.append)
    assert seen, "no progress reported"
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(3.0, abs=0.1)


async def test_timeout_kills_and_reaps_ffmpeg():
    """On timeout the child is terminated and reaped before the error propagates."""
    pids: list[int] = []

    async def watch():
        while not pids:
            pids.extend(child_ffmpeg_pids())
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    with pytest.raises(AssemblyTimeoutError) as caught:
        await run_process(ENDLESS, stage="concatenating", timeout=0.8)
    watcher.cancel()
    assert caught.value.stage == "concatenating"
    assert pids, "ffmpeg never started"
    assert not any(pid_alive(pid) for pid in pids)
    assert child_ffmpeg_pids() == []


async def test_cancellation_kills_and_reaps_ffmpeg():
    """Cancelling the awaiting task (client went away) stops FFmpeg too."""
    task = asyncio.create_task(run_process(ENDLESS, stage="concatenating"))
    for _ in range(100):
        await asyncio.sleep(0.02)
        pids = child_ffmpeg_pids()
        if pids:
            break
    assert pids, "ffmpeg never started"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not any(pid_alive(pid) for pid in pids)


async def test_ffmpeg_runs_at_a_lower_cpu_priority():
    """FFmpeg gets NICENESS (10) so the web process wins the CPU when both want it."""
    task = asyncio.create_task(run_process(ENDLESS, stage="concatenating"))
    try:
        for _ in range(100):
            await asyncio.sleep(0.02)
            pids = child_ffmpeg_pids()
            if pids:
                break
        assert pids, "ffmpeg never started"
        assert (
            os.getpriority(os.PRIO_PROCESS, pids[0])
            == os.getpriority(os.PRIO_PROCESS, 0) + NICENESS
            or os.getpriority(os.PRIO_PROCESS, pids[0]) == 19
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_stdin_chunks_are_fed_to_the_child_and_closed():
    """``stdin`` chunks reach the child in order and end with EOF (raw frames for ``pipe:0``)."""

    async def chunks():
        for i in range(50):
            yield bytes([i % 256]) * 10_000

    result = await run_process(["wc", "-c"], stage="test", stdin=chunks())
    assert result.stdout.strip() == "500000"


async def test_a_child_that_stops_reading_stdin_is_an_error_not_a_hang():
    """When FFmpeg exits before the input ends, the feed stops and its failure is reported."""

    async def endless():
        while True:
            yield b"\0" * 65536

    argv = ["ffmpeg", "-nostdin", "-v", "error", "-f", "rawvideo", "-s", "bad", "-i", "pipe:0",
            "-f", "null", "-"]  # fmt: skip
    with pytest.raises(FFmpegError):
        await asyncio.wait_for(run_process(argv, stage="demo", stdin=endless()), 20)


async def test_a_failing_frame_source_stops_and_reaps_ffmpeg():
    """When the code drawing the frames fails, FFmpeg (waiting on stdin) is killed and reaped
    and the drawing error propagates."""
    pids: list[int] = []

    async def broken():
        yield b"\0" * (16 * 16 * 3)
        for _ in range(100):
            if started := child_ffmpeg_pids():
                break
            await asyncio.sleep(0.02)
        pids.extend(started)
        raise RuntimeError("drawing failed")

    argv = ["ffmpeg", "-nostdin", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
            "-s", "16x16", "-i", "pipe:0", "-f", "null", "-"]  # fmt: skip
    with pytest.raises(RuntimeError, match="drawing failed"):
        await run_process(argv, stage="demo", stdin=broken())
    assert pids, "ffmpeg never started"
    assert not any(pid_alive(pid) for pid in pids)


class Recorder:
    """A ProcessObserver that keeps what it is told."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def started(self, *, stage: str) -> None:
        self.events.append(("started", stage))

    def ended(self, *, stage: str, cause: str, seconds: float) -> None:
        assert seconds >= 0
        self.events.append(("ended", stage, cause))


async def test_an_observer_hears_every_start_and_how_each_process_ended(tmp_path):
    """Exit 0 is ok, a non-zero exit error, the timeout timeout, a cancel cancelled, a signal
    nobody here sent killed; after the block the observer hears nothing more."""
    recorder = Recorder()
    with observe_processes(recorder):
        await run_process(["ffmpeg", "-version"], stage="setup")
        with pytest.raises(FFmpegError):
            await run_process(["ffmpeg", "-nostdin", "-i", str(tmp_path / "no.mp4")], stage="a")
        with pytest.raises(AssemblyTimeoutError):
            await run_process(ENDLESS, stage="b", timeout=0.3)
        running = asyncio.create_task(run_process(ENDLESS, stage="c"))
        await asyncio.sleep(0.3)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        with pytest.raises(FFmpegError):
            await run_process(["sh", "-c", "kill -9 $$"], stage="d")
    await run_process(["ffmpeg", "-version"], stage="after")
    assert recorder.events == [
        *(("started", "setup"), ("ended", "setup", "ok")),
        *(("started", "a"), ("ended", "a", "error")),
        *(("started", "b"), ("ended", "b", "timeout")),
        *(("started", "c"), ("ended", "c", "cancelled")),
        *(("started", "d"), ("ended", "d", "killed")),
    ]
