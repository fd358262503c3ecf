"""Local-disk adapter on aiofiles: file I/O never blocks the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import aiofiles.os

from storage.base import Storage
from storage.errors import ObjectNotFoundError, StorageError


class LocalStorage(Storage):
    """Objects are files under ``root``; ``url()`` points at the app's media route."""

    backend = "local"

    def __init__(
        self,
        root: Path,
        *,
        url_prefix: str = "/media/",
        url_signer: Callable[[str], str] | None = None,
    ) -> None:
        """``url_signer`` turns a key into a signed app URL (the app refuses unsigned links)."""
        self.root = Path(root).resolve()
        self.url_prefix = url_prefix if url_prefix.endswith("/") else url_prefix + "/"
        self.url_signer = url_signer

    def path_for(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StorageError(
                f"key {key!r} resolves outside the storage root",
                operation="resolve",
                key=key,
                backend=self.backend,
            )
        return path

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

    async def _exists(self, key: str) -> bool:
        return await aiofiles.os.path.isfile(self.path_for(key))

    async def _size(self, key: str) -> int:
        try:
            return (await aiofiles.os.stat(self.path_for(key))).st_size
        except FileNotFoundError:
            raise ObjectNotFoundError(key, operation="size", backend=self.backend) from None

    async def _download(self, key: str, dest: Path) -> None:
        src = self.path_for(key)
        try:
            await _copy_file(src, dest)
        except FileNotFoundError as exc:
            if not await aiofiles.os.path.isfile(src):
                raise ObjectNotFoundError(key, operation="download", backend=self.backend) from exc
            raise StorageError(
                f"download of {key!r} to {dest} failed: {exc}",
                operation="download",
                key=key,
                backend=self.backend,
            ) from exc
        except OSError as exc:
            raise StorageError(
                f"download of {key!r} failed: {exc}",
                operation="download",
                key=key,
                backend=self.backend,
            ) from exc

    async def _upload(self, src: Path, key: str) -> None:
        dest = self.path_for(key)
        # Write beside the target, then rename: readers never see a half-written object.
        partial = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.partial")
        try:
            await aiofiles.os.makedirs(dest.parent, exist_ok=True)
            await _copy_file(src, partial)
            await aiofiles.os.replace(partial, dest)
        except OSError as exc:
            await _remove_quietly(partial)
            raise StorageError(
                f"upload of {src} to {key!r} failed: {exc}",
                operation="upload",
                key=key,
                backend=self.backend,
            ) from exc
        except BaseException:
            await asyncio.shield(_remove_quietly(partial))
            raise

    async def _move_in(self, src: Path, key: str) -> None:
        """Rename ``src`` into place (atomic, no copy); copy instead across filesystems."""
        dest = self.path_for(key)
        try:
            await aiofiles.os.makedirs(dest.parent, exist_ok=True)
            await aiofiles.os.replace(src, dest)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise StorageError(
                    f"upload of {src} to {key!r} failed: {exc}",
                    operation="upload",
                    key=key,
                    backend=self.backend,
                ) from exc
            await self._upload(src, key)

    async def _delete(self, key: str) -> None:
        await _remove_quietly(self.path_for(key))

    async def _list(self, prefix: str) -> list[str]:
        return await asyncio.to_thread(self._list_sync, prefix)

    def _list_sync(self, prefix: str) -> list[str]:
        keys = []
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                if name.endswith(".partial"):
                    continue
                key = Path(dirpath, name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return keys

    def _url(self, key: str) -> str:
        if self.url_signer is not None:
            return self.url_signer(key)
        return self.url_prefix + quote(key)

    async def _local_path(self, key: str) -> Path | None:
        path = self.path_for(key)
        if not await aiofiles.os.path.isfile(path):
            raise ObjectNotFoundError(key, operation="open", backend=self.backend)
        return path


async def _copy_file(src: Path, dest: Path) -> None:
    """Copy in one worker-thread call: shutil uses the kernel's sendfile/copy_file_range,
    several times faster than chunked reads and writes for large videos."""
    await asyncio.to_thread(shutil.copyfile, src, dest)


async def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        await aiofiles.os.remove(path)
