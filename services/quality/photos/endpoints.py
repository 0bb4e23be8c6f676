"""Defect photos: upload URL, registration, annotations, short-lived download URLs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.errors import AUTH_ERRORS, MissingPermission, WrongSpace, errors
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery
from services.quality.access import require_route
from services.quality.inspections.service import InspectionNotFound
from services.quality.models import Photo as PhotoRow
from services.quality.photos import service
from services.quality.photos.schemas import (
    AnnotationsBody,
    Photo,
    PhotoCreate,
    PhotoUpload,
    Upload,
)
from services.quality.storage import EvidenceStore
from services.quality.urls import public_base

router = APIRouter(tags=["photos"], responses=AUTH_ERRORS)


async def _reader(
    principal: Annotated[Principal, Depends(require(Space.PROVIDER, Space.CLIENT))],
) -> Principal:
    require_route(principal, "inspections:read")
    return principal


async def _recorder(principal: Annotated[Principal, Depends(require(Space.PROVIDER))]) -> Principal:
    require_route(principal, "inspections:write")
    return principal


Reader = Annotated[Principal, Depends(_reader)]
Recorder = Annotated[Principal, Depends(_recorder)]


def _store(request: Request) -> EvidenceStore:
    return request.app.state.evidence  # type: ignore[no-any-return]


async def _with_urls(request: Request, photo: PhotoRow) -> Photo:
    out = Photo.model_validate(photo)
    if photo.status == "processed":
        base = public_base(request)
        full = await _store(request).download_url(base, photo.key)
        out.url, out.url_expires_at = full.url, full.expires_at
        if photo.thumb_key:
            out.thumbnail_url = (await _store(request).download_url(base, photo.thumb_key)).url
    return out


@router.post(
    "/inspections/{inspection_id}/photos",
    status_code=201,
    response_model=PhotoUpload,
    summary="Ask for an upload URL (presigned PUT) for a defect photo",
    responses=errors(InspectionNotFound, service.PhotoTooLarge, service.DefectNotOnInspection, 422),
)
async def create_photo_upload(
    principal: Recorder,
    session: TenantSession,
    inspection_id: uuid.UUID,
    body: PhotoCreate,
    request: Request,
) -> PhotoUpload:
    photo, signed = await service.create_upload(
        session, principal, _store(request), public_base(request), inspection_id, body
    )
    return PhotoUpload(
        photo=Photo.model_validate(photo),
        upload=Upload(
            url=signed.url,
            method=signed.method,
            headers=signed.headers,
            expires_at=signed.expires_at,
        ),
    )


@router.post(
    "/photos/{photo_id}/complete",
    response_model=Photo,
    summary="Register the uploaded photo (thumbnail and EXIF stripping follow in the background)",
    responses=errors(
        service.PhotoNotFound, service.UploadMissing, service.PhotoTooLarge, MissingPermission
    ),
)
async def complete_photo_upload(
    principal: Recorder, session: TenantSession, photo_id: uuid.UUID, request: Request
) -> Photo:
    photo = await service.register_upload(session, principal, _store(request), photo_id)
    return Photo.model_validate(photo)


@router.get(
    "/inspections/{inspection_id}/photos",
    response_model=Page[Photo],
    summary="Photos of an inspection, with short-lived download URLs",
    responses=errors(InspectionNotFound),
)
async def list_photos(
    principal: Reader,
    session: TenantSession,
    inspection_id: uuid.UUID,
    page: PageQuery,
    request: Request,
) -> Page[Photo]:
    rows, cursor = await service.list_photos(session, principal, page, inspection_id)
    return Page(items=[await _with_urls(request, r) for r in rows], next_cursor=cursor)


@router.get(
    "/photos/{photo_id}",
    response_model=Photo,
    summary="One photo with short-lived download URLs (image and thumbnail)",
    responses=errors(service.PhotoNotFound),
)
async def get_photo(
    principal: Reader,
    session: TenantSession,
    photo_id: uuid.UUID,
    request: Request,
    response: Response,
) -> Photo:
    photo = await service.get_photo(session, principal, photo_id)
    set_etag(response, photo.version)
    return await _with_urls(request, photo)


@router.put(
    "/photos/{photo_id}/annotations",
    response_model=Photo,
    summary="Replace the photo's annotations (boxes, arrows, labels over the image)",
    responses=errors(service.PhotoNotFound, WrongSpace, 412, 422),
)
async def update_photo_annotations(
    principal: Recorder,
    session: TenantSession,
    photo_id: uuid.UUID,
    body: AnnotationsBody,
    request: Request,
    response: Response,
) -> Photo:
    photo = await service.get_photo(session, principal, photo_id, for_update=True)
    check_if_match(request, photo.version)
    photo = await service.annotate(session, principal, photo, body)
    set_etag(response, photo.version)
    return await _with_urls(request, photo)
