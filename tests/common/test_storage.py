from pathlib import Path

import pytest

from libs.common.storage import LocalObjectStore, object_store


async def test_local_store_round_trip(tmp_path: Path) -> None:
    store = object_store(f"file://{tmp_path}")
    assert isinstance(store, LocalObjectStore)
    await store.put("tenant-a/photos/1.jpg", b"\xff\xd8data", "image/jpeg")
    assert await store.get("tenant-a/photos/1.jpg") == b"\xff\xd8data"
    await store.delete("tenant-a/photos/1.jpg")
    with pytest.raises(KeyError):
        await store.get("tenant-a/photos/1.jpg")


@pytest.mark.parametrize("key", ["../etc/passwd", "a/../../b", "/abs", "a//b", ""])
async def test_local_store_refuses_escaping_keys(tmp_path: Path, key: str) -> None:
    store = LocalObjectStore(tmp_path)
    with pytest.raises(ValueError):
        await store.put(key, b"x", "text/plain")
