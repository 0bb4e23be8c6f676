"""GET/PUT /objects/{key}: the local store's presigned URLs, served by quality.

No token: the signature is the authority, and it names one key, one method, the limits and
an expiry. (With S3, uploads and downloads go to the bucket; only passport-page photos are
served from here.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from libs.common.errors import AppError, Forbidden, NotFound, errors
from services.quality import storage

router = APIRouter(tags=["objects"])
# The object store's own key rule (libs.common.storage): ASCII, at most 1024 characters, so
# a key never makes the request line too long for the gateway (a 422 rather than a 414).
Key = Annotated[str, Path(max_length=1024, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"%PDF": "application/pdf"}


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "Payload too large"


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


def _sniff(data: bytes) -> str:
    for magic, kind in MAGIC.items():
        if data.startswith(magic):
            return kind
    return "application/octet-stream"


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
    settings = request.app.state.settings
    if not storage.verify(settings, "PUT", key, exp, sig, f"ct={ct}&max={max}"):
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
    await request.app.state.evidence.put(key, bytes(data), ct)
    return Response(status_code=204)


@router.get(
    "/objects/{key:path}",
    summary="Download from a presigned URL",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}, "application/pdf": {}}},
        **errors(InvalidSignature, ObjectNotFound, UriTooLong, 422),
    },
)
async def get_object(
    request: Request,
    key: Key,
    exp: Annotated[int, Query()],
    sig: Annotated[str, Query(max_length=128)],
) -> Response:
    settings = request.app.state.settings
    if not storage.verify(settings, "GET", key, exp, sig):
        raise InvalidSignature("The download URL is invalid or expired")
    try:
        data = await request.app.state.evidence.get(key)
    except (KeyError, ValueError):
        raise ObjectNotFound("No such object") from None
    return Response(data, media_type=_sniff(data), headers={"Cache-Control": "private, max-age=60"})
