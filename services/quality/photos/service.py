"""Defect photos: an upload URL first (presigned PUT, type and size limited), then the
client registers the upload; a background job strips EXIF location and makes a thumbnail.
Downloads are short-lived presigned GETs."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.errors import Conflict, NotFound, Unprocessable
from libs.common.ids import new_id
from libs.common.pagination import PageParams, paginate
from services.quality.access import require_plant
from services.quality.inspections import repository as inspections_repo
from services.quality.inspections.service import get_inspection
from services.quality.jobs import process_photo as process_photo_job
from services.quality.models import Photo
from services.quality.photos import repository as repo
from services.quality.photos.schemas import AnnotationsBody, PhotoCreate
from services.quality.storage import EvidenceStore, Presigned

EXT = {"image/jpeg": "jpg", "image/png": "png"}


class PhotoNotFound(NotFound):
    code, title = "photo_not_found", "Photo not found"


class PhotoTooLarge(Unprocessable):
    code, title = "photo_too_large", "Photo too large"


class UploadMissing(Conflict):
    code, title = "upload_missing", "Nothing uploaded yet"


class DefectNotOnInspection(Unprocessable):
    code, title = "defect_not_found", "Defect not on this inspection"


def photo_key(tenant_id: uuid.UUID, inspection_id: uuid.UUID, photo_id: uuid.UUID, ext: str) -> str:
    return f"{tenant_id}/inspections/{inspection_id}/photos/{photo_id}.{ext}"


async def create_upload(
    session: AsyncSession,
    principal: Principal,
    store: EvidenceStore,
    base: str,
    inspection_id: uuid.UUID,
    body: PhotoCreate,
) -> tuple[Photo, Presigned]:
    inspection = await get_inspection(session, principal, inspection_id, for_update=True)
    require_plant(principal, "inspections:write", inspection.plant_id)
    limit = store.settings.photo_max_bytes
    if body.size > limit:
        raise PhotoTooLarge(f"A photo is at most {limit} bytes")
    if body.defect_id is not None and body.defect_id not in {
        d.id for d in await inspections_repo.defects(session, inspection.id)
    }:
        raise DefectNotOnInspection("The defect is not on this inspection")
    photo_id = new_id()
    photo = Photo(
        id=photo_id,
        tenant_id=inspection.tenant_id,
        customer_tenant_id=inspection.customer_tenant_id,
        inspection_id=inspection.id,
        defect_id=body.defect_id,
        lot_id=inspection.lot_id,
        plant_id=inspection.plant_id,
        key=photo_key(inspection.tenant_id, inspection.id, photo_id, EXT[body.content_type]),
        storage=store.settings.object_store_url,
        content_type=body.content_type,
        max_bytes=body.size,
        status="pending",
        caption=body.caption,
        annotations=[],
        uploaded_by=principal.subject,
    )
    session.add(photo)
    await session.flush()
    return photo, await store.upload_url(base, photo.key, body.content_type, body.size)


async def get_photo(
    session: AsyncSession, principal: Principal, photo_id: uuid.UUID, *, for_update: bool = False
) -> Photo:
    found = await repo.get(session, principal, photo_id, for_update=for_update)
    if found is None:
        raise PhotoNotFound("Photo not found")
    return found


async def register_upload(
    session: AsyncSession, principal: Principal, store: EvidenceStore, photo_id: uuid.UUID
) -> Photo:
    photo = await get_photo(session, principal, photo_id, for_update=True)
    require_plant(principal, "inspections:write", photo.plant_id)
    if photo.status != "pending":
        return photo
    size = await store.size(photo.key)
    if size is None:
        raise UploadMissing("Nothing was uploaded to the photo's URL yet")
    if size > photo.max_bytes:
        raise PhotoTooLarge("The upload is larger than announced")
    photo.size = size
    photo.status = "uploaded"
    await session.flush()
    # processed in the background, once this transaction commits
    await process_photo_job.defer(session, tenant_id=photo.tenant_id, photo_id=str(photo.id))
    return photo


async def annotate(
    session: AsyncSession, principal: Principal, photo: Photo, body: AnnotationsBody
) -> Photo:
    require_plant(principal, "inspections:write", photo.plant_id)
    photo.annotations = [a.model_dump() for a in body.annotations]
    await session.flush()
    return photo


async def list_photos(
    session: AsyncSession, principal: Principal, page: PageParams, inspection_id: uuid.UUID
) -> tuple[list[Photo], str | None]:
    await get_inspection(session, principal, inspection_id)
    return await paginate(
        session, repo.list_query(principal, inspection_id), page, keys=[Photo.id], descending=False
    )
