"""Local-disk adapter on aiofiles: file I/O never blocks the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import stat
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import aiofiles.os

from storage.base import READ_CHUNK, Storage
from storage.errors import ObjectNotFoundError, StorageError
from storage.files import read_range

NOT_A_FILE = (FileNotFoundError, NotADirectoryError, IsADirectoryError)
"""What the OS says about a path that holds no object: nothing there, or a directory."""


class LocalStorage(Storage):
    """Objects are files under ``root``; ``url()`` points at the app's media route."""

    backend = "local"

    def __init__(
        self,
        root: Path,
        *,
        url_prefix: str = "/media/",
        url_signer: Callable[[str, str | None], str] | None = None,
    ) -> None:
        """``url_signer`` turns a key and a download name into a signed app URL (the app refuses
        unsigned links); the app's media route sends the name as ``Content-Disposition``."""
        self.root = Path(root).resolve()
        self.url_prefix = url_prefix if url_prefix.endswith("/") else url_prefix + "/"
        self.url_signer = url_signer

    def path_for(self, key: str) -> Path:
        try:
            path = (self.root / key).resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
            raise self._error("resolve", key, exc) from exc
        if self.root not in path.parents:
            raise StorageError(
                f"key {key!r} resolves outside the storage root",
                operation="resolve",
                key=key,
                backend=self.backend,
            )
        return path

    def _error(self, operation: str, key: str, exc: BaseException) -> StorageError:
        return StorageError(
            f"local {operation} of {key!r} under {self.root} failed: {exc}",
            operation=operation,
            key=key,
            backend=self.backend,
        )

    @contextlib.contextmanager
    def _translated(self, operation: str, key: str, obj: Path | None = None) -> Iterator[None]:
        """OS errors become StorageError; one saying ``obj`` (the object's file) is missing or
        not a file becomes ObjectNotFoundError. Callers never see a raw OSError."""
        try:
            yield
        except StorageError:
            raise
        except OSError as exc:
            if obj is not None and isinstance(exc, NOT_A_FILE) and str(exc.filename) == str(obj):
                raise ObjectNotFoundError(key, operation=operation, backend=self.backend) from exc
            raise self._error(operation, key, exc) from exc

    async def check(self) -> None:
        """The root exists (created if needed) and is a writable directory."""
        try:
            await aiofiles.os.makedirs(self.root, exist_ok=True)
            writable = await asyncio.to_thread(os.access, self.root, os.W_OK | os.X_OK)
        except OSError as exc:
            raise StorageError(
                f"storage root {self.root} is unusable: {exc}",
                operation="check",
                key="",
                backend=self.backend,
            ) from exc
        if not writable:
            raise StorageError(
                f"storage root {self.root} is not writable",
                operation="check",
                key="",
                backend=self.backend,
            )

    async def _is_file(self, path: Path, key: str, operation: str) -> bool:
        with self._translated(operation, key):
            try:
                info = await aiofiles.os.stat(path)
            except NOT_A_FILE:
                return False
        return stat.S_ISREG(info.st_mode)

    async def _exists(self, key: str) -> bool:
        return await self._is_file(self.path_for(key), key, "exists")

    async def _size(self, key: str) -> int:
        path = self.path_for(key)
        with self._translated("size", key, path):
            info = await aiofiles.os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ObjectNotFoundError(key, operation="size", backend=self.backend)
        return info.st_size

    async def _read(self, key: str, first: int, length: int) -> AsyncIterator[bytes]:
        """Each chunk is opened, read and closed in one thread call (storage.files), so a
        reader that is cancelled or abandoned between chunks leaves no file open."""
        path = self.path_for(key)
        done = 0
        while done < length:
            with self._translated("read", key, path):
                chunk = await read_range(path, first + done, min(READ_CHUNK, length - done))
            if not chunk:
                return
            done += len(chunk)
            yield chunk

    async def _download(self, key: str, dest: Path) -> None:
        src = self.path_for(key)
        with self._translated("download", key, src):
            try:
                await _copy_file(src, dest)
            except BaseException:
                await asyncio.shield(_remove_quietly(dest))  # no partial file left behind
                raise

    async def _upload(self, src: Path, key: str) -> None:
        dest = self.path_for(key)
        # Write beside the target, then rename: readers never see a half-written object.
        partial = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.partial")
        with self._translated("upload", key):
            try:
                await aiofiles.os.makedirs(dest.parent, exist_ok=True)
                await _copy_file(src, partial)
                await aiofiles.os.replace(partial, dest)
            except BaseException:
                await asyncio.shield(_remove_quietly(partial))
                raise

    async def _move_in(self, src: Path, key: str) -> None:
        """Rename ``src`` into place (atomic, no copy); copy instead across filesystems."""
        dest = self.path_for(key)
        with self._translated("upload", key):
            await aiofiles.os.makedirs(dest.parent, exist_ok=True)
            try:
                await aiofiles.os.replace(src, dest)
                return
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
        await self._upload(src, key)

    async def _delete(self, key: str) -> None:
        path = self.path_for(key)
        with self._translated("delete", key), contextlib.suppress(*NOT_A_FILE):
            await aiofiles.os.remove(path)

    async def _list(self, prefix: str) -> list[str]:
        with self._translated("list", prefix):
            return await asyncio.to_thread(self._list_sync, prefix)

    def _list_sync(self, prefix: str) -> list[str]:
        keys = []
        for dirpath, _dirs, files in os.walk(self.root, onerror=_raise_unless_gone):
            for name in files:
                if name.endswith(".partial"):
                    continue
                key = Path(dirpath, name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return keys

    def _url(self, key: str, filename: str | None, download: bool, ttl_s: int | None) -> str:
        if self.url_signer is not None:
            url = self.url_signer(key, filename)
        else:
            query = urlencode({"filename": filename}) if filename else ""
            url = self.url_prefix + quote(key) + (f"?{query}" if query else "")
        if download:
            url += ("&" if "?" in url else "?") + "download=1"
        return url

    async def _local_path(self, key: str) -> Path | None:
        path = self.path_for(key)
        if not await self._is_file(path, key, "open"):
            raise ObjectNotFoundError(key, operation="open", backend=self.backend)
        return path


async def _copy_file(src: Path, dest: Path) -> None:
    """Copy in one worker-thread call: shutil uses the kernel's sendfile/copy_file_range,
    several times faster than chunked reads and writes for large videos."""
    await asyncio.to_thread(shutil.copyfile, src, dest)


async def _remove_quietly(path: Path) -> None:
    """Best-effort cleanup: a failure here must not hide the error being handled."""
    with contextlib.suppress(OSError):
        await aiofiles.os.remove(path)


def _raise_unless_gone(exc: OSError) -> None:
    """``os.walk`` skips unreadable directories silently; a listing must not omit keys unsaid.
    A root not created yet (or a directory removed mid-walk) holds no keys."""
    if not isinstance(exc, FileNotFoundError):
        raise exc
