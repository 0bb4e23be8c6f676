"""Object storage: a local folder by default, any S3-compatible store through aioboto3,
with presigned upload and download URLs (`PresignedStore`) and, for the local folder, the
route that serves them (`objects_router`).

Keys are tenant-prefixed by the caller (`<tenant_id>/<...>`); the local backend refuses
keys that would escape its root.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Annotated, Any, Generic, Protocol, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query, Request, Response

from libs.common.context import public_prefix_var
from libs.common.errors import AppError, Forbidden, NotFound, PayloadTooLarge, errors

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
    def __init__(self, root: FilePath) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> FilePath:
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
    return LocalObjectStore(FilePath(url.removeprefix("file://")))


# -- presigned URLs ---------------------------------------------------------------------
#
# Local folder (the default): the service signs URLs itself (HMAC over method, key, limits
# and expiry) and serves them at /objects/{key} (`objects_router`); nothing else reaches the
# folder. S3: the bucket's own presigned URLs. Keys start with the tenant id and a signature
# names one key, so a guessed key without its signature gets nothing.


@dataclass(frozen=True, slots=True)
class Presigned:
    url: str
    method: str
    headers: dict[str, str]
    expires_at: int


class UrlSigner:
    """Signs and checks the local store's URLs. `namespace` keeps one service's signatures
    from opening another's objects (each derives its own key from its own secret)."""

    def __init__(self, secret: str, namespace: str) -> None:
        self._key = hashlib.sha256(f"{namespace}-objects:".encode() + secret.encode()).digest()

    def signature(self, method: str, key: str, exp: int, extra: str = "") -> str:
        msg = f"{method}\n{key}\n{exp}\n{extra}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def verify(self, method: str, key: str, exp: int, sig: str, extra: str = "") -> bool:
        if exp < time.time():
            return False
        # as bytes: a forged signature may be any text (compare_digest refuses non-ASCII str)
        expected = self.signature(method, key, exp, extra).encode()
        return hmac.compare_digest(expected, sig.encode("utf-8", "replace"))

    def url(self, base: str, method: str, key: str, seconds: int, **limits: Any) -> Presigned:
        """`base`/objects/`key`?limits&exp&sig; a PUT's limits are `ct` (its content type)
        and `max` (bytes), a GET's optional `ct` and `fn` (served type and file name)."""
        exp = int(time.time()) + seconds
        query = {k: str(v) for k, v in limits.items() if v is not None}
        extra = limits_text(query)
        query["exp"] = str(exp)
        query["sig"] = self.signature(method, key, exp, extra)
        url = f"{base}/objects/{quote(key)}?{urlencode(query)}"
        headers = {"Content-Type": query["ct"]} if method == "PUT" else {}
        return Presigned(url=url, method=method, headers=headers, expires_at=exp)


def limits_text(limits: dict[str, str]) -> str:
    return "&".join(f"{k}={limits[k]}" for k in sorted(limits))


class PresignedStore:
    """An object store with presigned upload and download URLs (see above)."""

    def __init__(
        self,
        url: str,
        *,
        secret: str,
        namespace: str,
        upload_seconds: int = 600,
        download_seconds: int = 300,
    ) -> None:
        self.store: ObjectStore = object_store(url)
        self.signer = UrlSigner(secret, namespace)
        self.upload_seconds = upload_seconds
        self.download_seconds = download_seconds

    @property
    def is_s3(self) -> bool:
        return isinstance(self.store, S3ObjectStore)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self.store.put(key, data, content_type)

    async def get(self, key: str) -> bytes:
        return await self.store.get(key)

    async def delete(self, key: str) -> None:
        await self.store.delete(key)

    async def size(self, key: str) -> int | None:
        """The stored object's size, None when nothing is stored under `key`."""
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
        seconds = self.upload_seconds
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
        return self.signer.url(base, "PUT", key, seconds, ct=content_type, max=max_bytes)

    async def download_url(
        self,
        base: str,
        key: str,
        filename: str | None = None,
        *,
        content_type: str | None = None,
    ) -> Presigned:
        seconds = self.download_seconds
        if isinstance(self.store, S3ObjectStore):
            params: dict[str, Any] = {"Bucket": self.store.bucket, "Key": check_key(key)}
            if filename:
                params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
            if content_type:
                params["ResponseContentType"] = content_type
            async with self.store._client() as s3:
                url = await s3.generate_presigned_url(
                    "get_object", Params=params, ExpiresIn=seconds
                )
            return Presigned(
                url=url, method="GET", headers={}, expires_at=int(time.time()) + seconds
            )
        # the local route serves a signed type and file name; without them it sniffs
        return self.signer.url(
            base, "GET", key, seconds, ct=content_type, fn=filename if content_type else None
        )


class StorageSettings(Protocol):
    """What a service's settings give its store (quality's, partner's)."""

    service_secret: str
    upload_url_seconds: int
    download_url_seconds: int

    @property
    def object_store_url(self) -> str: ...


SettingsT = TypeVar("SettingsT", bound=StorageSettings)


class ServiceStore(PresignedStore, Generic[SettingsT]):
    """A service's store, configured from its settings, which it keeps (`settings`)."""

    def __init__(self, settings: SettingsT, namespace: str) -> None:
        super().__init__(
            settings.object_store_url,
            secret=settings.service_secret,
            namespace=namespace,
            upload_seconds=settings.upload_url_seconds,
            download_seconds=settings.download_url_seconds,
        )
        self.settings = settings


def public_base(request: Request) -> str:
    """The service's address as the caller reached it: through the gateway (X-Forwarded-Host
    and the `/v1/<service>` prefix) or straight."""
    host = request.headers.get("x-forwarded-host")
    prefix = public_prefix_var.get()
    if host and prefix:
        proto = request.headers.get("x-forwarded-proto", "http")
        return f"{proto}://{host}{prefix}"
    return str(request.base_url).rstrip("/")


# -- the local store's /objects route ---------------------------------------------------

# The object store's own key rule (check_key): ASCII, at most 1024 characters, so a key never
# makes the request line too long for the gateway (a 422 rather than a 414).
Key = Annotated[str, Path(max_length=1024, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"%PDF": "application/pdf"}


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class UriTooLong(AppError):
    """Answered by the gateway to a request line over its limit (8 KiB): documented here,
    where a signed URL's key and query can reach it."""

    status, code, title = 414, "uri_too_long", "The request target is too long"


class ObjectNotFound(NotFound):
    code, title = "object_not_found", "Object not found"


class InvalidSignature(Forbidden):
    code, title = "invalid_signature", "Invalid or expired signature"


def sniff(data: bytes) -> str:
    for magic, kind in MAGIC.items():
        if data.startswith(magic):
            return kind
    return "application/octet-stream"


def objects_router(
    state_attr: str, media_types: Sequence[str] = ("image/jpeg", "application/pdf")
) -> APIRouter:
    """GET/PUT /objects/{key}: the local store's presigned URLs, served by the service whose
    `app.state.<state_attr>` is the PresignedStore that signed them.

    No token: the signature is the authority, and it names one key, one method, the limits
    and an expiry. (With S3, uploads and downloads go to the bucket.) `media_types`: what
    downloads may be served as (documented)."""
    router = APIRouter(tags=["objects"])

    def store_of(request: Request) -> PresignedStore:
        return getattr(request.app.state, state_attr)  # type: ignore[no-any-return]

    @router.put(
        "/objects/{key:path}",
        status_code=204,
        summary="Upload to a presigned local URL (content type and size as signed)",
        responses=errors(InvalidSignature, PayloadTooLarge, UnsupportedMediaType, UriTooLong, 422),
    )
    async def put_object(
        request: Request,
        key: Key,
        exp: Annotated[int, Query()],
        sig: Annotated[str, Query(max_length=128)],
        ct: Annotated[str, Query(max_length=100)],
        max: Annotated[int, Query(ge=1)],
    ) -> Response:
        store = store_of(request)
        if not store.signer.verify("PUT", key, exp, sig, limits_text({"ct": ct, "max": str(max)})):
            raise InvalidSignature("The upload URL is invalid or expired")
        if request.headers.get("content-type", "").split(";")[0].strip() != ct:
            raise UnsupportedMediaType("Content-Type differs from the signed one")
        declared = int(request.headers.get("content-length") or 0)
        if declared > max:
            raise PayloadTooLarge(f"At most {max} bytes")
        data = bytearray()
        async for chunk in request.stream():
            data.extend(chunk)
            if len(data) > max:
                raise PayloadTooLarge(f"At most {max} bytes")
        await store.put(key, bytes(data), ct)
        return Response(status_code=204)

    @router.get(
        "/objects/{key:path}",
        summary="Download from a presigned URL",
        response_class=Response,
        responses={
            200: {"content": {t: {} for t in media_types}},
            **errors(InvalidSignature, ObjectNotFound, UriTooLong, 422),
        },
    )
    async def get_object(
        request: Request,
        key: Key,
        exp: Annotated[int, Query()],
        sig: Annotated[str, Query(max_length=128)],
        ct: Annotated[str | None, Query(max_length=100)] = None,
        fn: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Response:
        store = store_of(request)
        limits = {k: v for k, v in (("ct", ct), ("fn", fn)) if v is not None}
        if not store.signer.verify("GET", key, exp, sig, limits_text(limits)):
            raise InvalidSignature("The download URL is invalid or expired")
        try:
            data = await store.get(key)
        except (KeyError, ValueError):
            raise ObjectNotFound("No such object") from None
        headers = {"Cache-Control": "private, max-age=60"}
        if ct is None:
            return Response(data, media_type=sniff(data), headers=headers)
        # a signed type: what the uploader declared, never rendered inline
        headers["X-Content-Type-Options"] = "nosniff"
        safe = (fn or "download").replace('"', "")
        headers["Content-Disposition"] = f'attachment; filename="{safe}"'
        return Response(data, media_type=ct, headers=headers)

    return router
