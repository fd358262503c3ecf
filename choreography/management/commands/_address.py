"""Where the server runs: ``serve`` records it in the data directory, ``signin_link`` reads it.

Commands run in processes of their own, so the address a running server was started with (its
``--host``/``--port``, or ``CHOREO_PUBLIC_URL``) reaches them only through a file. The record
names the server's pid: a record whose process is gone is ignored (uvicorn ends a SIGTERMed server
by re-raising the signal, so its record is not always removed).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

RECORD_NAME = "server.json"
DEFAULT_URL = "http://127.0.0.1:8000"


def base_url_for(host: str, port: int) -> str:
    """The origin a browser on this machine uses for a server bound to ``host:port``."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"  # an IPv6 address
    return f"http://{shown}:{port}"


def _record_path() -> Path:
    return Path(settings.DATA_DIR) / RECORD_NAME


@contextlib.contextmanager
def recorded(url: str) -> Iterator[None]:
    """Record ``url`` as this process's server address while the block runs."""
    path = _record_path()
    tmp = path.with_suffix(".tmp")
    with contextlib.suppress(OSError):  # a read-only data dir: signin_link falls back
        tmp.write_text(json.dumps({"url": url, "pid": os.getpid()}))
        tmp.replace(path)
    try:
        yield
    finally:
        if _read().get("pid") == os.getpid():  # not a later server's record
            path.unlink(missing_ok=True)


def _read() -> dict:
    try:
        data = json.loads(_record_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def running_url() -> str | None:
    """The address of the server running on this data directory, if one is."""
    data = _read()
    pid, url = data.get("pid"), data.get("url")
    if not isinstance(pid, int) or not isinstance(url, str):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # a stale record: its server is gone
    except PermissionError:
        pass  # alive, owned by another user
    return url
