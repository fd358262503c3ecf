"""The storage contract, run against every adapter available here."""

from pathlib import Path

import pytest

from storage import InvalidKeyError, LocalStorage, ObjectNotFoundError, StorageError


@pytest.fixture(params=["local"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "root")
    raise AssertionError(request.param)


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


async def test_missing_key_raises_not_found_naming_the_key(store, tmp_path):
    """A missing object is ObjectNotFoundError (a FileNotFoundError) naming the key."""
    with pytest.raises(ObjectNotFoundError, match=r"missing/key\.mp4") as caught:
        await store.download("missing/key.mp4", tmp_path / "x")
    assert isinstance(caught.value, FileNotFoundError)
    assert caught.value.key == "missing/key.mp4"
    with pytest.raises(ObjectNotFoundError):
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
