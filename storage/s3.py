"""S3 adapter on aioboto3: the same async interface as the local one, for any S3-compatible server.

One aioboto3 session and one client per adapter, opened lazily inside the running event loop on
first use and reused (opening a client costs ~0.4 s), closed by ``aclose()``. A client is bound to
the loop that opened it: callers that run short-lived loops (management commands under
``async_to_sync``) close the adapter before their loop ends, and the next use opens a new client.

Transfers stream through the local disk in bounded chunks: downloads write the response body to
the destination as it arrives; uploads send the file in one PUT below ``multipart_threshold`` and
in concurrent parts above it. A multipart upload that fails or is cancelled is aborted, so the
bucket never holds a partial object.

Every botocore/aiohttp error is translated here, by :func:`translate_error`, into the errors of
:mod:`storage.errors`; nothing above this module ever sees botocore.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import mimetypes
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import aioboto3
import aiofiles.os
import aiohttp
import aiohttp.http_exceptions
import botocore.session
from aiobotocore.config import AioConfig
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from storage.base import READ_CHUNK, Storage, validate_key
from storage.disposition import content_disposition
from storage.errors import ObjectNotFoundError, StorageError
from storage.files import open_for_writing, read_range

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
CHUNK_SIZE = MiB
MIN_PART_SIZE = 5 * MiB
"""S3 refuses parts smaller than this (except the last one)."""
MAX_PARTS = 10_000


@dataclass(frozen=True)
class S3Settings:
    """Everything the adapter needs; credentials default to the standard AWS chain."""

    bucket: str
    endpoint_url: str | None = None
    region: str = "us-east-1"
    addressing_style: Literal["path", "virtual"] | None = None
    """None: path-style when an endpoint is given (S3-compatible servers), virtual for AWS."""
    public_endpoint_url: str | None = None
    """Where browsers reach the server, when not at ``endpoint_url`` (e.g. inside Docker)."""
    key_prefix: str = ""
    """Objects live under this prefix, so several stores can share one bucket."""
    url_ttl_s: int = 3600
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    multipart_threshold: int = 8 * MiB
    part_size: int = 8 * MiB
    part_concurrency: int = 4
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    max_attempts: int = 3
    max_pool_connections: int = 64
    """Enough for every concurrent fetch of every concurrent assembly; more requests queue."""
    list_page_size: int = 1000

    def __post_init__(self) -> None:
        if self.key_prefix and not self.key_prefix.endswith("/"):
            raise ValueError(f"key_prefix must end with '/', got {self.key_prefix!r}")
        if self.key_prefix:
            validate_key(self.key_prefix.rstrip("/"))
        if self.part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        if self.multipart_threshold < 1 or self.part_concurrency < 1:
            raise ValueError("multipart_threshold and part_concurrency must be positive")

    @property
    def style(self) -> Literal["path", "virtual"]:
        if self.addressing_style:
            return self.addressing_style
        return "path" if self.endpoint_url else "virtual"

    @property
    def endpoint_label(self) -> str:
        return self.endpoint_url or f"AWS S3 ({self.region})"


# --- error translation ------------------------------------------------------------------------

NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404"})
DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "403",
        "Forbidden",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
    }
)

ERROR_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectTimeoutError, "timed out connecting to the endpoint"),
    (ReadTimeoutError, "timed out waiting for the server"),
    (EndpointConnectionError, "cannot connect to the endpoint"),
    (ConnectionClosedError, "the server closed the connection"),
    (ResponseStreamingError, "the transfer was interrupted"),
    (BotoConnectionError, "connection failed"),
    (HTTPClientError, "HTTP client error"),
    (NoCredentialsError, "no AWS credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"),
    (PartialCredentialsError, "incomplete AWS credentials"),
    (CredentialRetrievalError, "AWS credentials could not be retrieved"),
    (ParamValidationError, "invalid request parameters"),
    (BotoCoreError, "S3 client error"),
    (aiohttp.ClientError, "connection failed"),
    # aiohttp wraps its parser errors today; should one escape a body read, it is still ours.
    (aiohttp.http_exceptions.HttpProcessingError, "malformed HTTP response"),
    (TimeoutError, "timed out"),
    (OSError, "local file error"),
)
"""Every non-ClientError exception the adapter translates, most specific first."""

HANDLED_ERRORS: tuple[type[BaseException], ...] = (
    ClientError,
    *(kind for kind, _ in ERROR_REASONS),
)
"""What :func:`translate_error` accepts; anything else propagates unchanged (a bug)."""


def translate_error(
    exc: BaseException,
    *,
    operation: str,
    bucket: str,
    key: str | None,
    endpoint: str,
) -> StorageError:
    """The storage error for a botocore/aiohttp/OS error, naming operation, bucket, key, endpoint.

    ``key=None`` marks a bucket-level operation, where a 404 means the bucket is missing.
    """
    where = f"bucket {bucket!r} at {endpoint}"
    subject = f"{key!r} in {where}" if key is not None else where
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        detail = error.get("Message") or code
        if code == "NoSuchBucket" or (key is None and (code in NOT_FOUND_CODES or status == 404)):
            return StorageError(
                f"S3 {operation} failed: bucket {bucket!r} does not exist at {endpoint} "
                "(check S3_BUCKET)",
                operation=operation,
                key=key or "",
                backend="s3",
            )
        if code in NOT_FOUND_CODES or (status == 404 and code != "NoSuchUpload"):
            return ObjectNotFoundError(key or "", operation=operation, backend="s3", where=where)
        if code in DENIED_CODES or status == 403:
            reason = (
                f"access denied ({code}: {detail}); check the credentials "
                "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and the bucket policy"
            )
        else:
            reason = f"server error {code or status}: {detail}"
        return StorageError(
            f"S3 {operation} of {subject} failed: {reason}",
            operation=operation,
            key=key or "",
            backend="s3",
        )
    reason = next((text for kind, text in ERROR_REASONS if isinstance(exc, kind)), "failed")
    return StorageError(
        f"S3 {operation} of {subject} failed: {reason}: {exc}",
        operation=operation,
        key=key or "",
        backend="s3",
    )


# --- the adapter -------------------------------------------------------------------------------


class S3Storage(Storage):
    """Objects in one S3 bucket (optionally under a key prefix); ``url()`` is a presigned GET."""

    backend = "s3"

    def __init__(self, settings: S3Settings) -> None:
        self.settings = settings
        self._session = aioboto3.Session(
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key,
            aws_session_token=settings.session_token,
            region_name=settings.region,
        )
        self._client: Any = None
        self._stack: AsyncExitStack | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Lock | None = None
        self._opening_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        s = self.settings
        return f"<S3Storage bucket={s.bucket!r} prefix={s.key_prefix!r} at {s.endpoint_label}>"

    # -- client lifecycle

    def _shared_options(self) -> dict[str, Any]:
        """What transfers and presigned URLs must agree on: signing, region, addressing."""
        s = self.settings
        options: dict[str, Any] = {
            "signature_version": "s3v4",
            "region_name": s.region,
            # UNSIGNED-PAYLOAD: hashing each body for the signature would read it twice on the
            # event loop; over HTTPS, TLS protects the bytes.
            "s3": {"addressing_style": s.style, "payload_signing_enabled": False},
        }
        if s.endpoint_url:
            # S3-compatible servers: only the checksums an operation requires.
            options["request_checksum_calculation"] = "when_required"
            options["response_checksum_validation"] = "when_required"
        return options

    def _config(self) -> AioConfig:
        s = self.settings
        return AioConfig(
            retries={"mode": "standard", "max_attempts": s.max_attempts},
            connect_timeout=s.connect_timeout_s,
            read_timeout=s.read_timeout_s,
            max_pool_connections=s.max_pool_connections,
            **self._shared_options(),
        )

    @functools.cached_property
    def _presigner(self) -> BaseClient:
        """A plain botocore client that only presigns, built on first ``url()``.

        ``url()`` is synchronous and the aio client is bound to its event loop; presigning is
        local computation, so a sync client serves every caller. It addresses the public
        endpoint when one is set, and takes its credentials from the same standard chain.
        """
        s = self.settings
        return botocore.session.get_session().create_client(
            "s3",
            endpoint_url=s.public_endpoint_url or s.endpoint_url,
            aws_access_key_id=s.access_key_id,
            aws_secret_access_key=s.secret_access_key,
            aws_session_token=s.session_token,
            config=Config(**self._shared_options()),
        )

    async def raw_client(self) -> Any:
        """The live aiobotocore client (opened on first use in this loop).

        For tooling and tests only: errors raised through it are not translated.
        """
        loop = asyncio.get_running_loop()
        if self._client is not None and self._loop is loop:
            return self._client
        if self._opening is None or self._opening_loop is not loop:
            self._opening, self._opening_loop = asyncio.Lock(), loop
        async with self._opening:
            if self._client is not None and self._loop is not loop:
                logger.warning(
                    "%r: the S3 client opened in another event loop was not closed; "
                    "opening a new one (call aclose() before a loop ends)",
                    self,
                )
                self._client = self._stack = None
            if self._client is None:
                stack = AsyncExitStack()
                try:
                    client = await stack.enter_async_context(
                        self._session.client(
                            "s3", endpoint_url=self.settings.endpoint_url, config=self._config()
                        )
                    )
                except BaseException:
                    await stack.aclose()
                    raise
                self._client, self._stack, self._loop = client, stack, loop
        return self._client

    async def aclose(self) -> None:
        """Close the client and its connection pool; the next use opens a new one."""
        stack, loop = self._stack, self._loop
        self._client = self._stack = self._loop = None
        if stack is None:
            return
        if loop is asyncio.get_running_loop():
            await stack.aclose()
        else:
            logger.warning("%r: cannot close an S3 client from another event loop", self)

    async def check(self) -> None:
        """Reach the bucket once (HeadBucket); StorageError says what is wrong and where."""
        with self._translated("check", None):
            client = await self.raw_client()
            await client.head_bucket(Bucket=self.settings.bucket)

    # -- helpers

    def _object_key(self, key: str) -> str:
        return self.settings.key_prefix + key

    @contextlib.contextmanager
    def _translated(self, operation: str, key: str | None) -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except HANDLED_ERRORS as exc:
            raise translate_error(
                exc,
                operation=operation,
                bucket=self.settings.bucket,
                key=key,
                endpoint=self.settings.endpoint_label,
            ) from exc

    # -- the interface

    async def _head(self, key: str, operation: str) -> dict[str, Any]:
        with self._translated(operation, key):
            client = await self.raw_client()
            return await client.head_object(Bucket=self.settings.bucket, Key=self._object_key(key))

    async def _exists(self, key: str) -> bool:
        try:
            await self._head(key, "exists")
        except ObjectNotFoundError:
            return False
        return True

    async def _size(self, key: str) -> int:
        return int((await self._head(key, "size"))["ContentLength"])

    async def _read(self, key: str, first: int, length: int) -> AsyncIterator[bytes]:
        """One ranged GET, relayed as it arrives; closing the generator closes the body."""
        if length <= 0:
            return
        with self._translated("read", key):
            client = await self.raw_client()
            response = await client.get_object(
                Bucket=self.settings.bucket,
                Key=self._object_key(key),
                Range=f"bytes={first}-{first + length - 1}",
            )
            body = response["Body"]
            async with body:
                async for chunk in body.iter_chunks(READ_CHUNK):
                    yield chunk

    async def _download(self, key: str, dest: Path) -> None:
        written = 0
        try:
            with self._translated("download", key):
                client = await self.raw_client()
                response = await client.get_object(
                    Bucket=self.settings.bucket, Key=self._object_key(key)
                )
                expected = int(response.get("ContentLength", -1))
                body = response["Body"]
                async with body, open_for_writing(dest) as out:
                    async for chunk in body.iter_chunks(CHUNK_SIZE):
                        await asyncio.to_thread(out.write, chunk)
                        written += len(chunk)
            if 0 <= expected != written:
                raise StorageError(
                    f"S3 download of {key!r} from bucket {self.settings.bucket!r} at "
                    f"{self.settings.endpoint_label} was truncated: {written} of {expected} bytes",
                    operation="download",
                    key=key,
                    backend=self.backend,
                )
        except BaseException:
            with contextlib.suppress(OSError):
                await aiofiles.os.remove(dest)
            raise

    async def _upload(self, src: Path, key: str) -> None:
        with self._translated("upload", key):
            size = (await aiofiles.os.stat(src)).st_size
            client = await self.raw_client()
            extra = {"ContentType": mimetypes.guess_type(key)[0] or "application/octet-stream"}
            if size <= self.settings.multipart_threshold:
                body = await read_range(src, 0, size)
                if len(body) != size:
                    raise self._source_changed(src, key)
                await client.put_object(
                    Bucket=self.settings.bucket, Key=self._object_key(key), Body=body, **extra
                )
                return
            await self._multipart_upload(client, src, key, size, extra)

    async def _multipart_upload(
        self, client: Any, src: Path, key: str, size: int, extra: dict[str, str]
    ) -> None:
        bucket, object_key = self.settings.bucket, self._object_key(key)
        part_size = max(self.settings.part_size, math.ceil(size / MAX_PARTS))
        count = math.ceil(size / part_size)
        upload_id = (await client.create_multipart_upload(Bucket=bucket, Key=object_key, **extra))[
            "UploadId"
        ]
        slots = asyncio.Semaphore(self.settings.part_concurrency)
        etags: dict[int, str] = {}

        async def send(number: int) -> None:
            offset = (number - 1) * part_size
            length = min(part_size, size - offset)
            async with slots:
                data = await read_range(src, offset, length)
                if len(data) != length:
                    raise self._source_changed(src, key)
                response = await client.upload_part(
                    Bucket=bucket, Key=object_key, UploadId=upload_id, PartNumber=number, Body=data
                )
                etags[number] = response["ETag"]

        try:
            async with asyncio.TaskGroup() as group:
                for number in range(1, count + 1):
                    group.create_task(send(number))
            await client.complete_multipart_upload(
                Bucket=bucket,
                Key=object_key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": n, "ETag": etags[n]} for n in range(1, count + 1)]
                },
            )
        except BaseException as exc:
            # Failed or cancelled: abort, so no partial object or orphan parts remain.
            await asyncio.shield(self._abort(client, key, upload_id))
            if isinstance(exc, BaseExceptionGroup):
                # The first part's failure, so the caller translates it like any other.
                raise exc.exceptions[0]  # noqa: B904 -- keeps its own cause
            raise

    def _source_changed(self, src: Path, key: str) -> StorageError:
        return StorageError(
            f"S3 upload of {key!r} to bucket {self.settings.bucket!r} at "
            f"{self.settings.endpoint_label} failed: {src} changed while it was being uploaded",
            operation="upload",
            key=key,
            backend=self.backend,
        )

    async def _abort(self, client: Any, key: str, upload_id: str) -> None:
        try:
            await client.abort_multipart_upload(
                Bucket=self.settings.bucket, Key=self._object_key(key), UploadId=upload_id
            )
        except HANDLED_ERRORS as exc:
            logger.warning("could not abort the multipart upload of %r: %s", key, exc)

    async def _delete(self, key: str) -> None:
        with self._translated("delete", key):
            client = await self.raw_client()
            await client.delete_object(Bucket=self.settings.bucket, Key=self._object_key(key))

    async def _list(self, prefix: str) -> list[str]:
        start = len(self.settings.key_prefix)
        keys: list[str] = []
        with self._translated("list", prefix):
            client = await self.raw_client()
            paginator = client.get_paginator("list_objects_v2")
            pages = paginator.paginate(
                Bucket=self.settings.bucket,
                Prefix=self._object_key(prefix),
                PaginationConfig={"PageSize": self.settings.list_page_size},
            )
            async for page in pages:
                keys.extend(item["Key"][start:] for item in page.get("Contents", ()))
        return keys

    def _url(self, key: str, filename: str | None, download: bool, ttl_s: int | None) -> str:
        """A presigned GET, signed locally by botocore: no request is made. A ``filename`` is
        signed into it: S3 answers with that ``Content-Disposition``."""
        params = {"Bucket": self.settings.bucket, "Key": self._object_key(key)}
        if filename:
            params["ResponseContentDisposition"] = content_disposition(
                filename, attachment=download
            )
        with self._translated("url", key):
            return self._presigner.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=ttl_s or self.settings.url_ttl_s
            )
