"""The storage contract, run against every adapter: local disk, and S3 on a real server."""

import os
from pathlib import Path

import pytest

from storage import InvalidKeyError, LocalStorage, ObjectNotFoundError, StorageError
from storage.base import READ_CHUNK
from storage.s3 import MiB, S3Storage


@pytest.fixture
def payload(tmp_path) -> Path:
    path = tmp_path / "payload.bin"
    path.write_bytes(bytes(range(256)) * 5000)
    return path


async def test_round_trip(store, payload, tmp_path):
    """Uploaded bytes download unchanged, and size/exists agree."""
    await store.upload(payload, "a/b/c.bin")
    assert await store.exists("a/b/c.bin")
    assert await store.size("a/b/c.bin") == payload.stat().st_size
    dest = tmp_path / "out.bin"
    await store.download("a/b/c.bin", dest)
    assert dest.read_bytes() == payload.read_bytes()


async def test_read_streams_a_byte_range_in_bounded_chunks(store, payload):
    """``read`` yields exactly the asked range, never a chunk over READ_CHUNK; a missing key is
    ObjectNotFoundError; a reader abandoned halfway leaves nothing open."""
    await store.upload(payload, "r/video.bin")
    data = payload.read_bytes()
    chunks = [chunk async for chunk in store.read("r/video.bin", 1000, 600_000)]
    assert b"".join(chunks) == data[1000:601_000]
    assert max(len(chunk) for chunk in chunks) <= READ_CHUNK
    assert b"".join([c async for c in store.read("r/video.bin", len(data) - 5, 100)]) == data[-5:]
    with pytest.raises(ObjectNotFoundError):
        [chunk async for chunk in store.read("r/missing.bin", 0, 10)]
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        reader = store.read("r/video.bin", 0, len(data))
        await anext(reader)
        await reader.aclose()
    assert len(os.listdir("/proc/self/fd")) <= before + 2  # no descriptor per abandoned read


async def test_missing_key_raises_not_found_naming_the_key(store, tmp_path):
    """A missing object is ObjectNotFoundError (a FileNotFoundError) naming the key."""
    with pytest.raises(
        ObjectNotFoundError, match=r"object not found .*'missing/key\.mp4'"
    ) as caught:
        await store.download("missing/key.mp4", tmp_path / "x")
    assert isinstance(caught.value, FileNotFoundError)
    assert caught.value.key == "missing/key.mp4"
    assert not (tmp_path / "x").exists()
    with pytest.raises(ObjectNotFoundError, match=r"missing/key\.mp4"):
        await store.size("missing/key.mp4")
    assert not await store.exists("missing/key.mp4")


async def test_listing_and_overwrite_and_delete(store, payload, tmp_path):
    """Listing by prefix is sorted; overwrite replaces; delete is idempotent."""
    small = tmp_path / "small.bin"
    small.write_bytes(b"x")
    await store.upload(payload, "v/2.bin")
    await store.upload(payload, "v/1.bin")
    await store.upload(payload, "w/1.bin")
    assert await store.list("v/") == ["v/1.bin", "v/2.bin"]
    await store.upload(small, "v/1.bin")
    assert await store.size("v/1.bin") == 1
    await store.delete("v/1.bin")
    await store.delete("v/1.bin")
    assert await store.list("v/") == ["v/2.bin"]


@pytest.mark.parametrize(
    "key", ["../escape", "/abs/path", "a/../../b", "", "a\\b", "a/./b", "dir/"]
)
async def test_unsafe_keys_are_refused_before_io(store, payload, key):
    """Traversal, absolute and malformed keys raise InvalidKeyError naming the key."""
    with pytest.raises(InvalidKeyError):
        await store.upload(payload, key)
    with pytest.raises(StorageError):
        await store.exists(key)


async def test_large_file_round_trip_takes_the_multipart_path(store, tmp_path):
    """A 12 MiB file (three 5 MiB parts on S3) downloads byte for byte."""
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(12 * MiB + 123))
    await store.upload(big, "big/file.bin")
    assert await store.size("big/file.bin") == big.stat().st_size
    dest = tmp_path / "big-out.bin"
    await store.download("big/file.bin", dest)
    assert dest.read_bytes() == big.read_bytes()
    if isinstance(store, S3Storage):
        client = await store.raw_client()
        head = await client.head_object(
            Bucket=store.settings.bucket, Key=store.settings.key_prefix + "big/file.bin"
        )
        assert head["ETag"].endswith('-3"'), head["ETag"]  # S3's mark of a 3-part upload


async def test_url_serves_the_object_with_range_requests(store, payload, http_get):
    """url() is fetchable by a plain HTTP client, whole and by byte range (206), odd keys too."""
    key = "videos/a b+c#é.mp4"
    await store.upload(payload, key)
    url = store.url(key)
    whole = await http_get(url)
    assert whole.status_code == 200
    assert whole.content == payload.read_bytes()
    part = await http_get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{payload.stat().st_size}"
    assert part.content == payload.read_bytes()[100:200]


async def test_failed_upload_leaves_no_partial_object(store, tmp_path):
    """An upload whose source vanishes leaves nothing under the key."""
    with pytest.raises(StorageError):
        await store.upload(tmp_path / "does-not-exist", "v/x.bin")
    assert await store.list("") == []


def test_local_url_is_quoted(tmp_path):
    """Keys are URL-quoted in local URLs."""
    assert LocalStorage(tmp_path).url("videos/a b#.mp4") == "/media/videos/a%20b%23.mp4"


async def test_upload_with_move_takes_the_file_over(store, payload, tmp_path):
    """move=True stores the same bytes; the local adapter renames instead of copying."""
    expected = payload.read_bytes()
    await store.upload(payload, "v/moved.bin", move=True)
    dest = tmp_path / "back.bin"
    await store.download("v/moved.bin", dest)
    assert dest.read_bytes() == expected
    if isinstance(store, LocalStorage):
        assert not payload.exists()


# --- the local adapter on a faulty filesystem: every OS error is a StorageError ---------------


@pytest.fixture
def local(tmp_path) -> LocalStorage:
    root = tmp_path / "root"
    root.mkdir()
    return LocalStorage(root)


async def assert_not_found(call, key: str) -> None:
    with pytest.raises(ObjectNotFoundError) as caught:
        await call
    assert caught.value.key == key and caught.value.backend == "local"


async def assert_storage_error(call, operation: str, key: str) -> StorageError:
    """A plain StorageError (never a raw OSError) naming the operation and key, with its cause."""
    with pytest.raises(StorageError) as caught:
        await call
    error = caught.value
    assert not isinstance(error, OSError), repr(error)
    assert (error.operation, error.key, error.backend) == (operation, key, "local")
    assert f"local {operation} of {key!r}" in str(error)
    assert isinstance(error.__cause__, OSError | RuntimeError)
    return error


async def test_local_file_where_a_directory_is_expected(local, payload, tmp_path):
    """``a`` is a file, so ``a/b`` holds no object: reads say not found, writes fail cleanly."""
    (local.root / "a").write_bytes(b"x")
    assert not await local.exists("a/b")
    await assert_not_found(local.size("a/b"), "a/b")
    await assert_not_found(local.download("a/b", tmp_path / "out"), "a/b")
    await assert_not_found(local.local_path("a/b"), "a/b")
    await local.delete("a/b")  # nothing to delete
    await assert_storage_error(local.upload(payload, "a/b"), "upload", "a/b")
    await assert_storage_error(local.upload(payload, "a/b", move=True), "upload", "a/b")
    assert payload.exists()
    assert await local.list() == ["a"]


async def test_local_directory_where_an_object_is_expected(local, payload, tmp_path):
    """A directory is not an object: not found on reads (never its inode size); an upload
    onto it fails and leaves no partial file."""
    (local.root / "d").mkdir()
    (local.root / "d" / "x").write_bytes(b"x")
    assert not await local.exists("d")
    await assert_not_found(local.size("d"), "d")
    await assert_not_found(local.download("d", tmp_path / "out"), "d")
    assert not (tmp_path / "out").exists()
    await assert_not_found(local.local_path("d"), "d")
    await local.delete("d")
    await assert_storage_error(local.upload(payload, "d"), "upload", "d")
    await assert_storage_error(local.upload(payload, "d", move=True), "upload", "d")
    assert sorted(p.name for p in local.root.rglob("*")) == ["d", "x"]


async def test_local_download_to_an_unusable_destination(local, payload, tmp_path):
    """The object exists but the destination cannot be written: a StorageError, not 'not found'."""
    await local.upload(payload, "v/x.bin")
    (tmp_path / "file").write_bytes(b"x")
    await assert_storage_error(
        local.download("v/x.bin", tmp_path / "file" / "out"), "download", "v/x.bin"
    )


async def test_local_symlink_loop(local):
    """A key whose path loops on itself cannot be resolved: StorageError, not RuntimeError."""
    (local.root / "loop").symlink_to(local.root / "loop")
    await assert_storage_error(local.exists("loop"), "resolve", "loop")
    await assert_storage_error(local.delete("loop"), "resolve", "loop")


async def test_local_listing(tmp_path):
    """A root not created yet holds no keys; a root that is a file is an error, not empty."""
    assert await LocalStorage(tmp_path / "not-yet").list() == []
    (tmp_path / "file").write_bytes(b"x")
    await assert_storage_error(LocalStorage(tmp_path / "file").list(), "list", "")


def permission_bits_deny(tmp_path) -> bool:
    """Whether chmod 000 denies this process (it does not for root with CAP_DAC_OVERRIDE)."""
    probe = tmp_path / "probe"
    probe.mkdir()
    probe.chmod(0)
    try:
        os.listdir(probe)
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)
    return False


async def test_local_permission_denied(local, payload, tmp_path):
    """An unreadable directory: every operation under it raises StorageError, none lies."""
    if not permission_bits_deny(tmp_path):
        pytest.skip("permission bits deny nothing to this user (root): no real fault to test")
    await local.upload(payload, "locked/x.bin")
    locked = local.root / "locked"
    locked.chmod(0)
    key, new = "locked/x.bin", "locked/y.bin"
    try:
        await assert_storage_error(local.exists(key), "exists", key)
        await assert_storage_error(local.size(key), "size", key)
        await assert_storage_error(local.download(key, tmp_path / "out"), "download", key)
        await assert_storage_error(local.local_path(key), "open", key)
        await assert_storage_error(local.delete(key), "delete", key)
        await assert_storage_error(local.upload(payload, new), "upload", new)
        await assert_storage_error(local.upload(payload, new, move=True), "upload", new)
        await assert_storage_error(local.list(), "list", "")
    finally:
        locked.chmod(0o755)
