"""What only the S3 adapter does: error translation, credentials, presigning, client lifecycle,
and multipart uploads that leave nothing behind when interrupted (real SeaweedFS server)."""

from __future__ import annotations

import asyncio
import os
import socket
import string
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiobotocore.response
import aiohttp
import aiohttp.client_exceptions
import aiohttp.client_reqrep
import aiohttp.http_exceptions
import botocore.exceptions
import httpx
import pytest
import yarl
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

from storage import ObjectNotFoundError, StorageError
from storage.s3 import ERROR_REASONS, HANDLED_ERRORS, MiB, S3Settings, S3Storage, translate_error
from tests.s3server import free_ports, s3_store

ENDPOINT = "http://127.0.0.1:9"

SAMPLES: dict[type[BaseException], BaseException] = {
    ConnectTimeoutError: ConnectTimeoutError(endpoint_url=ENDPOINT),
    ReadTimeoutError: ReadTimeoutError(endpoint_url=ENDPOINT),
    EndpointConnectionError: EndpointConnectionError(endpoint_url=ENDPOINT),
    ConnectionClosedError: ConnectionClosedError(endpoint_url=ENDPOINT),
    ResponseStreamingError: ResponseStreamingError(error="connection reset"),
    BotoConnectionError: BotoConnectionError(error="refused"),
    HTTPClientError: HTTPClientError(error="bad status line"),
    NoCredentialsError: NoCredentialsError(),
    PartialCredentialsError: PartialCredentialsError(provider="env", cred_var="AWS_SECRET"),
    CredentialRetrievalError: CredentialRetrievalError(provider="sso", error_msg="expired"),
    ParamValidationError: ParamValidationError(report="Key is empty"),
    BotoCoreError: BotoCoreError(),
    aiohttp.ClientError: aiohttp.ClientPayloadError("truncated body"),
    aiohttp.http_exceptions.HttpProcessingError: aiohttp.http_exceptions.TransferEncodingError(
        "bad chunk size"
    ),
    TimeoutError: TimeoutError(),
    OSError: PermissionError(13, "Permission denied"),
}
"""One instance of every non-ClientError class the adapter handles."""


def client_error(code: str, status: int, message: str = "") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "GetObject",
    )


def translated(exc: BaseException, key: str | None = "videos/x.mp4") -> StorageError:
    return translate_error(exc, operation="download", bucket="media", key=key, endpoint=ENDPOINT)


@pytest.mark.parametrize("kind", [kind for kind, _ in ERROR_REASONS], ids=lambda k: k.__name__)
def test_every_handled_error_class_is_mapped_to_its_own_reason(kind):
    """Each handled class becomes a StorageError naming operation, bucket, key and endpoint,
    with its own reason (no broader class listed earlier shadows it)."""
    error = translated(SAMPLES[kind])
    assert type(error) is StorageError
    reason = dict(ERROR_REASONS)[kind]
    assert str(error).startswith(
        f"S3 download of 'videos/x.mp4' in bucket 'media' at {ENDPOINT} failed: {reason}: "
    )
    assert (error.operation, error.key, error.backend) == ("download", "videos/x.mp4", "s3")


def test_the_sample_table_covers_every_handled_class():
    """The mapping test above runs for every class the adapter catches."""
    assert set(SAMPLES) == {kind for kind, _ in ERROR_REASONS}
    assert set(HANDLED_ERRORS) == {ClientError, *SAMPLES}


def test_no_botocore_exception_can_leak():
    """Every exception class botocore defines is caught by the adapter's translation."""
    classes = [
        value
        for value in vars(botocore.exceptions).values()
        if isinstance(value, type) and issubclass(value, (BotoCoreError, ClientError))
    ]
    assert len(classes) > 50
    assert [c.__name__ for c in classes if not issubclass(c, HANDLED_ERRORS)] == []


def classes_in(module, base: type[BaseException]) -> list[type[BaseException]]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, base)
        and value.__module__ == module.__name__
    ]


MET_ERRORS: list[type[BaseException]] = [
    *classes_in(botocore.exceptions, BotoCoreError),
    *classes_in(botocore.exceptions, ClientError),
    aiobotocore.response.AioReadTimeoutError,
    *(
        kind
        for kind in classes_in(aiohttp.client_exceptions, Exception)
        if kind is not aiohttp.WSMessageTypeError  # websockets only: the adapter opens none
    ),
    *classes_in(aiohttp.http_exceptions, Exception),
    TimeoutError,
    ConnectionResetError,
    BrokenPipeError,
    FileNotFoundError,
    PermissionError,
    OSError,
]
"""Every exception class the adapter can meet: botocore's and aiobotocore's, aiohttp's (client
and HTTP parser), and the OS's (the local file of a transfer, sockets)."""

CONNECTION_KEY = aiohttp.client_reqrep.ConnectionKey(
    **{
        field: {"host": "127.0.0.1", "port": 9, "is_ssl": False, "ssl": True}.get(field)
        for field in aiohttp.client_reqrep.ConnectionKey._fields
    }
)
REFUSED = ConnectionRefusedError(111, "Connection refused")
REQUEST = aiohttp.RequestInfo(yarl.URL(ENDPOINT), "GET", {}, yarl.URL(ENDPOINT))


def format_fields(kind: type[BotoCoreError]) -> dict[str, str]:
    return {name: "x" for _, name, _, _ in string.Formatter().parse(kind.fmt) if name}


BUILDERS: list[tuple[type[BaseException], Callable[[Any], BaseException]]] = [
    (
        ClientError,
        lambda k: k(
            {"Error": {"Code": "X", "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": 500}},
            "HeadObject",
        ),
    ),
    (botocore.exceptions.WaiterError, lambda k: k("ObjectExists", "boom", {})),
    (BotoCoreError, lambda k: k(**format_fields(k))),
    (
        aiohttp.ClientConnectorCertificateError,
        lambda k: k(CONNECTION_KEY, ValueError("certificate verify failed")),
    ),
    (
        aiohttp.client_exceptions.UnixClientConnectorError,
        lambda k: k("/s3.sock", CONNECTION_KEY, REFUSED),
    ),
    (aiohttp.ClientConnectorError, lambda k: k(CONNECTION_KEY, REFUSED)),
    (aiohttp.ClientResponseError, lambda k: k(REQUEST, (), status=500, message="boom")),
    (aiohttp.ServerFingerprintMismatch, lambda k: k(b"a", b"b", "127.0.0.1", 9)),
    (OSError, lambda k: k(5, "boom")),
    (BaseException, lambda k: k("boom")),
]
"""How to build a real instance of each family, the way its library does (most specific first)."""


def sample(kind: type[BaseException]) -> BaseException:
    if kind is aiohttp.http_exceptions.HttpProcessingError:
        return kind(message="boom")
    build = next(build for base, build in BUILDERS if issubclass(kind, base))
    return build(kind)


class FailingClient:
    """Stands in for the aiobotocore client: every call raises ``error``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __getattr__(self, name: str):
        async def call(**kwargs):
            raise self.error

        return call


def failing_store(error: BaseException) -> S3Storage:
    """An adapter whose open client (in this loop) raises ``error`` on every call."""
    store = S3Storage(S3Settings(bucket="media", endpoint_url=ENDPOINT))
    store._client, store._loop = FailingClient(error), asyncio.get_running_loop()
    return store


def test_the_met_errors_span_the_libraries():
    assert len(MET_ERRORS) > 100
    assert {aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError} <= set(MET_ERRORS)


@pytest.mark.parametrize("kind", MET_ERRORS, ids=lambda k: f"{k.__module__}.{k.__name__}")
async def test_every_exception_the_adapter_can_meet_is_a_storage_error(kind):
    """Raised by the client during an operation, each becomes a StorageError naming the
    operation, bucket, key and endpoint, with the original as its cause."""
    error = sample(kind)
    with pytest.raises(StorageError) as caught:
        await failing_store(error).size("videos/x.mp4")
    assert not isinstance(caught.value, ObjectNotFoundError)
    assert caught.value.__cause__ is error
    assert (caught.value.operation, caught.value.key, caught.value.backend) == (
        "size",
        "videos/x.mp4",
        "s3",
    )
    assert str(caught.value).startswith(
        f"S3 size of 'videos/x.mp4' in bucket 'media' at {ENDPOINT} failed: "
    )


@pytest.mark.parametrize("error", [asyncio.CancelledError(), KeyError("bug")], ids=repr)
async def test_cancellation_and_bugs_are_not_translated(error):
    """Only what the store can fail with is translated: cancellation and bugs propagate."""
    with pytest.raises(type(error)):
        await failing_store(error).size("videos/x.mp4")


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("NoSuchKey", 404, ObjectNotFoundError),
        ("404", 404, ObjectNotFoundError),
        ("NotFound", 404, ObjectNotFoundError),
        (
            "NoSuchBucket",
            404,
            "bucket 'media' does not exist at http://127.0.0.1:9 (check S3_BUCKET)",
        ),
        ("AccessDenied", 403, "access denied (AccessDenied: nope); check the credentials"),
        ("403", 403, "access denied (403: nope); check the credentials"),
        ("InvalidAccessKeyId", 403, "access denied (InvalidAccessKeyId: nope)"),
        ("SignatureDoesNotMatch", 403, "access denied (SignatureDoesNotMatch: nope)"),
        ("ExpiredToken", 400, "access denied (ExpiredToken: nope)"),
        ("SlowDown", 503, "server error SlowDown: nope"),
        ("NoSuchUpload", 404, "server error NoSuchUpload: nope"),
        ("InternalError", 500, "server error InternalError: nope"),
    ],
)
def test_client_errors_by_code(code, status, expected):
    """S3 error codes: not found → ObjectNotFoundError; the rest say what to check."""
    error = translated(client_error(code, status, "nope"))
    if isinstance(expected, type):
        assert type(error) is expected
        assert str(error) == (f"object not found in bucket 'media' at {ENDPOINT}: 'videos/x.mp4'")
    else:
        assert type(error) is StorageError
        assert expected in str(error)
        assert "bucket 'media'" in str(error) and ENDPOINT in str(error)


def test_a_404_on_a_bucket_operation_means_the_bucket_is_missing():
    """HeadBucket answers a bare 404: that is a missing bucket, not a missing object."""
    error = translated(client_error("404", 404), key=None)
    assert type(error) is StorageError
    assert "bucket 'media' does not exist" in str(error)


@pytest.mark.parametrize(
    ("access", "secret", "code"),
    [
        ("not-a-key", "whatever", "InvalidAccessKeyId"),
        (None, "wrong-secret", "SignatureDoesNotMatch"),
    ],
)
async def test_wrong_credentials_are_a_clear_storage_error(
    s3_server, payload, access, secret, code
):
    """Bad keys: every operation raises StorageError saying access was denied and what to check."""
    from tests.s3server import ACCESS_KEY

    store = s3_store(s3_server, access_key_id=access or ACCESS_KEY, secret_access_key=secret)
    try:
        with pytest.raises(StorageError) as caught:
            await store.upload(payload, "v/x.bin")
        message = str(caught.value)
        assert not isinstance(caught.value, ObjectNotFoundError)
        assert (
            f"S3 upload of 'v/x.bin' in bucket '{s3_server.bucket}' at {s3_server.endpoint_url}"
            in message
        )
        assert f"access denied ({code}" in message
        assert "AWS_ACCESS_KEY_ID" in message
        # HEAD has no error body: still a denial, never "does not exist".
        with pytest.raises(StorageError, match="access denied"):
            await store.exists("v/x.bin")
        with pytest.raises(StorageError, match="access denied"):
            await store.check()
    finally:
        await store.aclose()


async def test_unreachable_endpoint_names_the_url(s3_server):
    """Nothing listening: StorageError saying it cannot connect, naming the endpoint.

    (``s3_server`` only for the credentials it puts in the environment.)"""
    endpoint = f"http://127.0.0.1:{free_ports(1)[0]}"
    store = S3Storage(S3Settings(bucket="choreo-test", endpoint_url=endpoint, max_attempts=1))
    try:
        with pytest.raises(StorageError, match="cannot connect to the endpoint") as caught:
            await store.check()
        assert endpoint in str(caught.value)
    finally:
        await store.aclose()


async def test_missing_bucket_is_reported_by_check(s3_server):
    """check() on a bucket that does not exist says so and names the variable to fix."""
    store = s3_store(s3_server, bucket="no-such-bucket")
    try:
        with pytest.raises(
            StorageError, match=r"bucket 'no-such-bucket' does not exist .*S3_BUCKET"
        ):
            await store.check()
    finally:
        await store.aclose()


async def test_cancelled_multipart_upload_leaves_no_object_and_no_parts(s3_server, tmp_path):
    """Cancelling an upload between parts (a client disconnect) aborts the multipart upload."""
    store = s3_store(s3_server, part_concurrency=1)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(16 * MiB))
    client = await store.raw_client()
    sent = []
    upload: asyncio.Task | None = None

    def before_part(**kwargs) -> None:
        sent.append(kwargs["request"].url)
        if len(sent) == 2:  # the first part is stored; cancel while the second goes out
            assert upload is not None
            upload.cancel()

    client.meta.events.register("before-send.s3.UploadPart", before_part)
    try:
        upload = asyncio.create_task(store.upload(big, "v/partial.bin"))
        with pytest.raises(asyncio.CancelledError):
            await upload
        client.meta.events.unregister("before-send.s3.UploadPart", before_part)
        assert len(sent) == 2
        assert not await store.exists("v/partial.bin")
        pending = await client.list_multipart_uploads(
            Bucket=s3_server.bucket, Prefix=store.settings.key_prefix
        )
        assert pending.get("Uploads", []) == []
        assert await store.list("") == []
    finally:
        await store.aclose()


async def test_source_vanishing_mid_upload_aborts_the_multipart_upload(s3_server, tmp_path):
    """A source file that shrinks during a multipart upload fails it cleanly: nothing is kept."""
    store = s3_store(s3_server, part_concurrency=1)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(11 * MiB))
    client = await store.raw_client()

    def truncate_source(**kwargs) -> None:
        big.write_bytes(b"short")

    client.meta.events.register("before-send.s3.UploadPart", truncate_source)
    try:
        with pytest.raises(StorageError, match="changed while it was being uploaded"):
            await store.upload(big, "v/shrunk.bin")
        client.meta.events.unregister("before-send.s3.UploadPart", truncate_source)
        pending = await client.list_multipart_uploads(
            Bucket=s3_server.bucket, Prefix=store.settings.key_prefix
        )
        assert pending.get("Uploads", []) == []
        assert await store.list("") == []
    finally:
        await store.aclose()


async def test_one_client_is_opened_and_reused_until_closed(s3_server):
    """Concurrent first uses share one client; aclose() releases it and the next use reopens."""
    store = s3_store(s3_server)
    clients = await asyncio.gather(*(store.raw_client() for _ in range(8)))
    assert all(c is clients[0] for c in clients)
    await asyncio.gather(*(store.exists(f"k{i}") for i in range(8)))
    assert await store.raw_client() is clients[0]
    await store.aclose()
    reopened = await store.raw_client()
    assert reopened is not clients[0]
    assert not await store.exists("k0")
    await store.aclose()
    await store.aclose()  # idempotent


async def test_url_works_before_any_transfer_and_carries_the_ttl(s3_server, payload):
    """A fresh adapter presigns from the AWS credential chain; the URL lives CHOREO_URL_TTL_S."""
    writer = s3_store(s3_server)
    await writer.upload(payload, "v/fresh.bin")
    await writer.aclose()
    fresh = S3Storage(S3Settings(**{**writer.settings.__dict__, "url_ttl_s": 120}))
    url = fresh.url("v/fresh.bin")
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["120"]
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200
    assert response.content == payload.read_bytes()
    tampered = url.replace("v/fresh.bin", "v/other.bin")
    async with httpx.AsyncClient() as http:
        assert (await http.get(tampered)).status_code == 403


@pytest.mark.parametrize(
    ("options", "prefix"),
    [
        ({"endpoint_url": "http://10.0.0.5:8333"}, "http://10.0.0.5:8333/media/p/a%20b.mp4?"),
        (
            {
                "endpoint_url": "http://seaweedfs:8333",
                "public_endpoint_url": "http://localhost:8333",
            },
            "http://localhost:8333/media/p/a%20b.mp4?",
        ),
        ({"region": "eu-west-1"}, "https://media.s3.eu-west-1.amazonaws.com/p/a%20b.mp4?"),
        (
            {"region": "eu-west-1", "addressing_style": "path"},
            "https://s3.eu-west-1.amazonaws.com/media/p/a%20b.mp4?",
        ),
    ],
)
def test_presigned_url_shapes(options, prefix, monkeypatch):
    """Path style for custom endpoints, virtual-hosted for AWS; browsers may use a public host.
    Presigning is local: no connection is attempted."""

    def no_network(*args, **kwargs):
        raise AssertionError("presigning must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    store = S3Storage(
        S3Settings(
            bucket="media", key_prefix="p/", access_key_id="AK", secret_access_key="SK", **options
        )
    )
    url = store.url("a b.mp4")
    assert url.startswith(prefix)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["3600"]
    assert query["X-Amz-Credential"][0].startswith("AK/")
    assert len(query["X-Amz-Signature"][0]) == 64


def test_presigned_url_carries_a_session_token():
    """Temporary credentials: the token is part of the signed query."""
    store = S3Storage(
        S3Settings(bucket="media", access_key_id="AK", secret_access_key="SK", session_token="TK")
    )
    assert parse_qs(urlsplit(store.url("a.mp4")).query)["X-Amz-Security-Token"] == ["TK"]


def test_url_without_credentials_is_a_storage_error(monkeypatch, tmp_path):
    """No credentials anywhere in the chain: StorageError saying what to set, not botocore's."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    store = S3Storage(S3Settings(bucket="media", endpoint_url=ENDPOINT))
    with pytest.raises(StorageError, match="no AWS credentials found") as caught:
        store.url("a.mp4")
    assert str(caught.value).startswith(f"S3 url of 'a.mp4' in bucket 'media' at {ENDPOINT}")
    assert isinstance(caught.value.__cause__, NoCredentialsError)


async def test_presigned_url_for_the_public_endpoint_downloads(s3_server, payload):
    """Signed for the host browsers use (here ``localhost``), the URL is accepted there."""
    store = s3_store(s3_server)
    try:
        await store.upload(payload, "v/public.bin")
    finally:
        await store.aclose()
    public = s3_server.endpoint_url.replace("127.0.0.1", "localhost")
    browser = S3Storage(S3Settings(**{**store.settings.__dict__, "public_endpoint_url": public}))
    url = browser.url("v/public.bin")
    assert url.startswith(f"{public}/{s3_server.bucket}/{store.settings.key_prefix}v/public.bin?")
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200
    assert response.content == payload.read_bytes()


@pytest.fixture
def payload(tmp_path):
    path = tmp_path / "payload.bin"
    path.write_bytes(os.urandom(300_000))
    return path
