"""The one place FFmpeg processes are started, watched and, whatever happens, reaped.

On timeout, on cancellation (the client went away) and on any other exception the child is
terminated, given a short grace period, killed, and waited for before the exception propagates:
no FFmpeg outlives the coroutine that started it.

Whoever wants to watch the processes (the app's metrics) registers a ``ProcessObserver`` for a
block with ``observe_processes``: it is told when each process starts and how it ended (its
``ExitCause``). The runner knows nothing of what the observer does with it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import inspect
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from assembly.errors import AssemblyTimeoutError, FFmpegError, FFmpegNotFoundError

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[float], Awaitable[None] | None]
"""Called with the seconds of output written so far (from ``-progress pipe:1``)."""

STDERR_TAIL_LINES = 25
TERMINATE_GRACE_S = 1.0
NICENESS = 10
"""FFmpeg runs at a lower CPU priority than the web process, so requests (health checks,
progress events) stay fast while every core is busy assembling."""


_PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


def _prepare_child(parent_pid: int) -> None:
    """Runs in the child between fork and exec: lower its priority, SIGKILL it with the server.

    The parent-death signal survives ``execve``, so FFmpeg is killed by the kernel even when
    the server is SIGKILLed and can run no cleanup of its own. If the server already died
    before the signal was armed, the child exits at once. Only plain system calls here: the
    parent may have other threads, so nothing that could wait for a lock they held.
    """
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(1)
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, max(NICENESS, os.getpriority(os.PRIO_PROCESS, 0)))


ExitCause = Literal["ok", "error", "timeout", "cancelled", "killed"]
"""How a process ended: exit 0; a non-zero exit; stopped at its timeout; stopped because its
coroutine was cancelled or failed; ended by a signal nobody here sent (e.g. the OOM killer)."""


class ProcessObserver(Protocol):
    """Told about every process the runner starts; must not block (it runs on the event loop)."""

    def started(self, *, stage: str) -> None: ...

    def ended(self, *, stage: str, cause: ExitCause, seconds: float) -> None: ...


_observers: list[ProcessObserver] = []


@contextlib.contextmanager
def observe_processes(observer: ProcessObserver) -> Iterator[ProcessObserver]:
    """Tell ``observer`` about every process started while the block runs (in this process)."""
    _observers.append(observer)
    try:
        yield observer
    finally:
        _observers.remove(observer)


def _notify_ended(stage: str, cause: ExitCause, started: float) -> None:
    seconds = time.monotonic() - started
    for observer in list(_observers):
        observer.ended(stage=stage, cause=cause, seconds=seconds)


def _cause_of(returncode: int) -> ExitCause:
    if returncode == 0:
        return "ok"
    return "killed" if returncode < 0 else "error"


@dataclass(frozen=True)
class ProcessResult:
    argv: list[str]
    returncode: int
    stdout: str
    stderr_tail: str


async def run_process(
    argv: Sequence[str],
    *,
    stage: str,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    check: bool = True,
    stdin: AsyncIterable[bytes] | None = None,
) -> ProcessResult:
    """Run ``argv`` (no shell), draining stdout and stderr concurrently.

    With ``on_progress``, stdout is parsed as FFmpeg ``-progress`` key=value lines instead of
    being collected. With ``stdin``, its chunks are written to the child's standard input (with
    back-pressure, e.g. raw frames for ``-i pipe:0``), which is closed after the last one. Raises FFmpegError (non-zero exit, with the stderr tail),
    AssemblyTimeoutError, or FFmpegNotFoundError when the binary cannot be started.
    """
    argv = [str(arg) for arg in argv]
    started = time.monotonic()
    parent_pid = os.getpid()
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL if stdin is None else asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=lambda: _prepare_child(parent_pid),
        )
    except (FileNotFoundError, PermissionError) as exc:
        raise FFmpegNotFoundError(
            f"{argv[0]} is required but could not be started: {exc.strerror or exc}",
            details="install FFmpeg (e.g. apt-get install ffmpeg) or set CHOREO_FFMPEG",
        ) from exc

    stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    stdout_lines: list[str] = []

    async def drain_stderr() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            stderr_tail.append(raw.decode(errors="replace").rstrip())

    async def drain_stdout() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            line = raw.decode(errors="replace")
            if on_progress is None:
                stdout_lines.append(line)
                continue
            key, _, value = line.strip().partition("=")
            if key == "out_time_us" and value.lstrip("-").isdigit():
                outcome = on_progress(max(0, int(value)) / 1_000_000)
                if inspect.isawaitable(outcome):
                    await outcome

    async def feed() -> None:
        if stdin is None:
            return
        assert proc.stdin is not None
        try:
            async for chunk in stdin:
                proc.stdin.write(chunk)
                await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the child stopped reading: its exit status and stderr say why
        finally:
            proc.stdin.close()

    async def communicate() -> int:
        await asyncio.gather(feed(), drain_stdout(), drain_stderr())
        return await proc.wait()

    try:
        for observer in list(_observers):
            observer.started(stage=stage)
        returncode = await asyncio.wait_for(communicate(), timeout)
    except TimeoutError:
        await _terminate(proc)
        _notify_ended(stage, "timeout", started)
        raise AssemblyTimeoutError(
            f"{argv[0]} did not finish within {timeout:g} s",
            stage=stage,
            details="\n".join(stderr_tail),
        ) from None
    except BaseException:
        try:
            await asyncio.shield(_terminate(proc))
        finally:
            _notify_ended(stage, "cancelled", started)
        raise

    _notify_ended(stage, _cause_of(returncode), started)
    elapsed = time.monotonic() - started
    tail = "\n".join(stderr_tail)
    logger.debug("ran %s in %.3f s (exit %s)", argv[0], elapsed, returncode)
    if check and returncode != 0:
        raise FFmpegError(argv=argv, returncode=returncode, stderr_tail=tail, stage=stage)
    return ProcessResult(argv, returncode, "".join(stdout_lines), tail)


async def _terminate(proc: asyncio.subprocess.Process) -> None:
    """Terminate, wait a grace period, kill, and always reap."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), TERMINATE_GRACE_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
    logger.info("stopped pid %s (exit %s)", proc.pid, proc.returncode)
