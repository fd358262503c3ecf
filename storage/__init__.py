"""Async storage adapters: one small interface, interchangeable backends.

Nothing here imports Django: adapters are plain asyncio objects built by their caller.
"""

from storage.base import Storage, validate_key
from storage.errors import InvalidKeyError, ObjectNotFoundError, StorageError
from storage.local import LocalStorage

__all__ = [
    "InvalidKeyError",
    "LocalStorage",
    "ObjectNotFoundError",
    "Storage",
    "StorageError",
    "validate_key",
]
