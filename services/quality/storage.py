"""Evidence storage: the kit's object store plus presigned URLs.

Local folder (default): quality signs URLs itself (HMAC over method, key, limits and expiry)
and serves them at /objects/{key}; nothing else reaches the folder. S3 (through aioboto3):
the bucket's own presigned URLs. Keys start with the tenant id, and a signature names one
key, so a guessed key without its signature gets nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from libs.common.storage import (
    LocalObjectStore,
    ObjectStore,
    S3ObjectStore,
    check_key,
    object_store,
)
from services.quality.config import Settings

PUBLIC_PHOTO_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class Presigned:
    url: str
    method: str
    headers: dict[str, str]
    expires_at: int


def _key_bytes(settings: Settings) -> bytes:
    return hashlib.sha256(b"quality-objects:" + settings.service_secret.encode()).digest()


def signature(settings: Settings, method: str, key: str, exp: int, extra: str = "") -> str:
    msg = f"{method}\n{key}\n{exp}\n{extra}".encode()
    return hmac.new(_key_bytes(settings), msg, hashlib.sha256).hexdigest()


def verify(settings: Settings, method: str, key: str, exp: int, sig: str, extra: str = "") -> bool:
    if exp < time.time():
        return False
    return hmac.compare_digest(signature(settings, method, key, exp, extra), sig)


def _local_url(
    base: str, settings: Settings, method: str, key: str, seconds: int, **limits: Any
) -> Presigned:
    exp = int(time.time()) + seconds
    extra = "&".join(f"{k}={limits[k]}" for k in sorted(limits))
    query = {**{k: str(v) for k, v in limits.items()}, "exp": str(exp)}
    query["sig"] = signature(settings, method, key, exp, extra)
    url = f"{base}/objects/{quote(key)}?{urlencode(query)}"
    headers = {"Content-Type": str(limits["ct"])} if method == "PUT" else {}
    return Presigned(url=url, method=method, headers=headers, expires_at=exp)


def sign_public_photo(base: str, key: str, settings: Settings) -> str:
    """A passport page's photo: a longer-lived signed GET served by quality."""
    return _local_url(base, settings, "GET", key, PUBLIC_PHOTO_SECONDS).url


class EvidenceStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: ObjectStore = object_store(settings.object_store_url)

    @property
    def is_s3(self) -> bool:
        return isinstance(self.store, S3ObjectStore)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self.store.put(key, data, content_type)

    async def get(self, key: str) -> bytes:
        return await self.store.get(key)

    async def size(self, key: str) -> int | None:
        if isinstance(self.store, S3ObjectStore):
            async with self.store._client() as s3:
                try:
                    head = await s3.head_object(Bucket=self.store.bucket, Key=check_key(key))
                except Exception:
                    return None
                return int(head["ContentLength"])
        assert isinstance(self.store, LocalObjectStore)
        path = self.store._path(key)
        return path.stat().st_size if path.exists() else None

    async def upload_url(self, base: str, key: str, content_type: str, max_bytes: int) -> Presigned:
        seconds = self.settings.upload_url_seconds
        if isinstance(self.store, S3ObjectStore):
            async with self.store._client() as s3:
                url = await s3.generate_presigned_url(
                    "put_object",
                    Params={
                        "Bucket": self.store.bucket,
                        "Key": check_key(key),
                        "ContentType": content_type,
                    },
                    ExpiresIn=seconds,
                )
            return Presigned(
                url=url,
                method="PUT",
                headers={"Content-Type": content_type},
                expires_at=int(time.time()) + seconds,
            )
        return _local_url(base, self.settings, "PUT", key, seconds, ct=content_type, max=max_bytes)

    async def download_url(self, base: str, key: str, filename: str | None = None) -> Presigned:
        seconds = self.settings.download_url_seconds
        if isinstance(self.store, S3ObjectStore):
            params: dict[str, Any] = {"Bucket": self.store.bucket, "Key": check_key(key)}
            if filename:
                params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
            async with self.store._client() as s3:
                url = await s3.generate_presigned_url(
                    "get_object", Params=params, ExpiresIn=seconds
                )
            return Presigned(
                url=url, method="GET", headers={}, expires_at=int(time.time()) + seconds
            )
        return _local_url(base, self.settings, "GET", key, seconds)
