"""Object storage: a local folder by default, any S3-compatible store through aioboto3.

Keys are tenant-prefixed by the caller (`<tenant_id>/<...>`); the local backend refuses
keys that would escape its root.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,1023}$")


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key) or ".." in key.split("/") or "//" in key:
        raise ValueError(f"invalid object key {key!r}")
    return key


class LocalObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"invalid object key {key!r}")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".part")
            tmp.write_bytes(data)
            tmp.replace(path)

        await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise KeyError(key) from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)


class S3ObjectStore:
    def __init__(
        self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None
    ) -> None:
        import aioboto3

        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        self._session = aioboto3.Session()

    def _client(self):  # type: ignore[no-untyped-def]
        return self._session.client("s3", endpoint_url=self.endpoint_url, region_name=self.region)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        async with self._client() as s3:
            await s3.put_object(
                Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type
            )

    async def get(self, key: str) -> bytes:
        async with self._client() as s3:
            try:
                obj = await s3.get_object(Bucket=self.bucket, Key=check_key(key))
            except s3.exceptions.NoSuchKey:
                raise KeyError(key) from None
            return bytes(await obj["Body"].read())

    async def delete(self, key: str) -> None:
        async with self._client() as s3:
            await s3.delete_object(Bucket=self.bucket, Key=check_key(key))


def object_store(url: str) -> ObjectStore:
    """`file:///path/to/folder` (default for development) or `s3://bucket` (endpoint from env)."""
    if url.startswith("s3://"):
        import os

        return S3ObjectStore(
            url.removeprefix("s3://").strip("/"),
            endpoint_url=os.environ.get("WEFT_S3_ENDPOINT_URL"),
            region=os.environ.get("WEFT_S3_REGION"),
        )
    return LocalObjectStore(Path(url.removeprefix("file://")))
