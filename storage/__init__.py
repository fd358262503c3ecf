"""Async storage adapters: one small interface, interchangeable backends.

Nothing here imports Django: adapters are plain asyncio objects built by their caller.
"""

from typing import TYPE_CHECKING

from storage.base import Storage, validate_key
from storage.disposition import content_disposition
from storage.errors import InvalidKeyError, ObjectNotFoundError, StorageError
from storage.local import LocalStorage

if TYPE_CHECKING:
    from storage.s3 import S3Settings, S3Storage


def __getattr__(name: str):
    # The S3 adapter pulls in aioboto3 (~1 s to import): only when someone asks for it.
    if name in ("S3Settings", "S3Storage"):
        from storage import s3

        return getattr(s3, name)
    raise AttributeError(f"module 'storage' has no attribute {name!r}")


__all__ = [
    "InvalidKeyError",
    "LocalStorage",
    "ObjectNotFoundError",
    "S3Settings",
    "S3Storage",
    "Storage",
    "StorageError",
    "content_disposition",
    "validate_key",
]
