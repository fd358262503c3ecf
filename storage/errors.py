"""Errors raised by every storage adapter, whatever its backend.

    StorageError                 an operation failed (names operation, key and backend; for S3
    │                            also the bucket and endpoint)
    ├── ObjectNotFoundError      the key does not exist (also a FileNotFoundError)
    └── InvalidKeyError          the key is empty, absolute or escapes the store (also a ValueError)

Callers catch these and never a backend's own exceptions (botocore, OSError...).
"""

from __future__ import annotations


class StorageError(Exception):
    """An operation on the store failed; the message names the operation and the key."""

    def __init__(self, message: str, *, operation: str, key: str, backend: str = "") -> None:
        super().__init__(message)
        self.operation = operation
        self.key = key
        self.backend = backend


class ObjectNotFoundError(StorageError, FileNotFoundError):
    """Raised when the key does not exist in the store."""

    def __init__(self, key: str, *, operation: str, backend: str = "", where: str = "") -> None:
        where = f" in {where or backend}" if (where or backend) else ""
        super().__init__(
            f"object not found{where}: {key!r}", operation=operation, key=key, backend=backend
        )


class InvalidKeyError(StorageError, ValueError):
    """Raised before any I/O when a key could escape the store's root."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"invalid storage key {key!r}: {reason}", operation="validate", key=key)
