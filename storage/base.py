"""The async interface every storage adapter implements.

Public methods validate the key, then call the adapter's private hook (as Django's
``Storage.save()`` calls ``_save()``), so no adapter can forget the traversal check.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from pathlib import Path

from storage.errors import InvalidKeyError


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative POSIX key, else raise InvalidKeyError."""
    if not isinstance(key, str) or not key:
        raise InvalidKeyError(str(key), "must be a non-empty string")
    if "\x00" in key or "\\" in key:
        raise InvalidKeyError(key, "must not contain NUL or backslashes")
    if key.startswith("/"):
        raise InvalidKeyError(key, "must be relative, not absolute")
    if any(part in ("..", ".", "") for part in key.split("/")):
        raise InvalidKeyError(key, "must not contain '.', '..' or empty segments")
    return key


READ_CHUNK = 256 * 1024
"""Largest chunk ``Storage.read`` yields: a response streams without holding a whole video."""


class Storage(abc.ABC):
    """A flat key → bytes store reached asynchronously."""

    backend: str = "abstract"

    async def exists(self, key: str) -> bool:
        return await self._exists(validate_key(key))

    async def size(self, key: str) -> int:
        """Size in bytes; ObjectNotFoundError if missing."""
        return await self._size(validate_key(key))

    def read(self, key: str, first: int, length: int) -> AsyncIterator[bytes]:
        """Stream ``length`` bytes of ``key`` from byte ``first``, in chunks of at most
        READ_CHUNK bytes; safe to abandon or cancel at any point (nothing stays open)."""
        return self._read(validate_key(key), first, length)

    async def download(self, key: str, dest: Path) -> None:
        """Stream the object to ``dest`` on local disk (never whole in memory)."""
        await self._download(validate_key(key), Path(dest))

    async def upload(self, src: Path, key: str, *, move: bool = False) -> None:
        """Stream a local file to ``key``; readers never see a partial object.

        ``move=True`` says the caller no longer needs ``src``: an adapter that can take the
        file over without copying it (local storage on the same filesystem) may do so.
        """
        if move:
            await self._move_in(Path(src), validate_key(key))
        else:
            await self._upload(Path(src), validate_key(key))

    async def delete(self, key: str) -> None:
        """Remove ``key``; deleting a missing key is not an error."""
        await self._delete(validate_key(key))

    async def list(self, prefix: str = "") -> list[str]:
        """Keys starting with ``prefix``, sorted."""
        if prefix:
            validate_key(prefix.rstrip("/") or "x")
        return sorted(await self._list(prefix))

    def url(
        self,
        key: str,
        *,
        filename: str | None = None,
        download: bool = False,
        ttl_s: int | None = None,
    ) -> str:
        """A URL a client can GET: app-relative for local storage, a presigned GET for S3.

        With ``filename`` the answer names the file (``Content-Disposition``, see
        storage.disposition): played inline, or saved with ``download``. ``ttl_s`` sets how
        long a presigned URL lives (default: the adapter's own); app links are signed by the
        app with its own expiry and checked on every use.
        """
        return self._url(validate_key(key), filename, download, ttl_s)

    @abc.abstractmethod
    def _read(self, key: str, first: int, length: int) -> AsyncIterator[bytes]: ...

    async def local_path(self, key: str) -> Path | None:
        """A local path FFmpeg can read directly, or None when the object must be downloaded.

        Lets the local backend skip copying inputs into the work dir.
        """
        return await self._local_path(validate_key(key))

    async def aclose(self) -> None:
        """Release clients and connections; the default adapter holds none."""

    async def check(self) -> None:
        """Verify the store is reachable and usable (StorageError if not); run at start-up."""

    async def _local_path(self, key: str) -> Path | None:
        return None

    async def _move_in(self, src: Path, key: str) -> None:
        await self._upload(src, key)

    @abc.abstractmethod
    async def _exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    async def _size(self, key: str) -> int: ...

    @abc.abstractmethod
    async def _download(self, key: str, dest: Path) -> None: ...

    @abc.abstractmethod
    async def _upload(self, src: Path, key: str) -> None: ...

    @abc.abstractmethod
    async def _delete(self, key: str) -> None: ...

    @abc.abstractmethod
    async def _list(self, prefix: str) -> list[str]: ...

    @abc.abstractmethod
    def _url(self, key: str, filename: str | None, download: bool, ttl_s: int | None) -> str: ...
