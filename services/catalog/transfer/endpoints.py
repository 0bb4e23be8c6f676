from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.errors import PayloadTooLarge
from libs.common.identity import ClientTenantsDep, IdentityUnavailable, UnknownClientTenant
from libs.common.jobs import get_job
from libs.common.pagination import Page, PageQuery
from services.catalog.transfer import service
from services.catalog.transfer.schemas import Format, ImportStatus, Kind
from services.catalog.web import errors, provider

router = APIRouter(tags=["import and export"])
Reader = Annotated[Principal, provider("catalog:read")]
Writer = Annotated[Principal, provider("catalog:write")]
MEDIA = {"csv": "text/csv", "json": "application/json"}


def _status(imp: object, progress: tuple[int | None, int | None] = (None, None)) -> ImportStatus:
    out = ImportStatus.model_validate(imp)
    out.progress_done, out.progress_total = progress
    return out


@router.post(
    "/imports",
    status_code=202,
    response_model=ImportStatus,
    responses=errors(
        PayloadTooLarge, service.InvalidEncoding, UnknownClientTenant, IdentityUnavailable, 422
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            },
        }
    },
)
async def create_import(
    request: Request,
    session: TenantSession,
    principal: Writer,
    tenants: ClientTenantsDep,
    kind: Kind,
    format: Annotated[Format, Query(description="csv (a header row) or json (a list)")],
) -> ImportStatus:
    """Upload a file (the body), streamed into storage in chunks (up to
    `WEFT_CATALOG_IMPORT_MAX_BYTES`, 1 GB by default; organisations files 10 MB); a background
    job validates every row, then applies the whole file in one transaction or nothing. Poll
    `GET /imports/{id}` for progress; columns per kind: organisations, relationships, skus,
    price_books (see `GET /exports/{kind}`). An organisation's `client_tenant_id` must be a
    client tenant of the caller's (422 `unknown_client_tenant`, checked on upload)."""
    imp = await service.create_import(
        session,
        principal.tenant_id,
        kind,
        format,
        request.stream(),
        principal.subject,
        tenants,
        request.app.state.settings.import_max_bytes,
    )
    return _status(imp)


@router.get("/imports", response_model=Page[ImportStatus], responses=errors())
async def list_imports(
    session: TenantSession, page: PageQuery, principal: Reader
) -> Page[ImportStatus]:
    rows, cursor = await service.list_imports(session, principal.tenant_id, page)
    return Page[ImportStatus](items=[_status(r) for r in rows], next_cursor=cursor)


@router.get(
    "/imports/{import_id}", response_model=ImportStatus, responses=errors(service.ImportNotFound)
)
async def get_import(
    import_id: uuid.UUID, session: TenantSession, principal: Reader
) -> ImportStatus:
    imp = await service.get_import(session, principal.tenant_id, import_id)
    job = await get_job(session, principal.tenant_id, imp.job_id) if imp.job_id else None
    return _status(imp, (job.progress_done, job.progress_total) if job else (None, None))


@router.get(
    "/imports/{import_id}/errors.csv",
    responses={**errors(service.ImportNotFound), 200: {"content": {"text/csv": {}}}},
    response_class=Response,
)
async def get_import_errors(
    import_id: uuid.UUID, session: TenantSession, principal: Reader
) -> Response:
    """The error report: one line per bad row and field."""
    imp = await service.get_import(session, principal.tenant_id, import_id)
    return Response(
        service.error_report(imp),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="import-{imp.id}-errors.csv"'},
    )


@router.get(
    "/exports/{kind}",
    responses={**errors(), 200: {"content": {"text/csv": {}, "application/json": {}}}},
    response_class=StreamingResponse,
)
async def export_catalog(
    kind: Kind,
    request: Request,
    principal: Reader,
    format: Format = "csv",
) -> StreamingResponse:
    """Every row of a kind, streamed; the file imports back unchanged."""
    rows = service.export_rows(request.app.state.db, principal.tenant_id, kind, format)
    return StreamingResponse(
        service.render(kind, format, rows),
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{kind}.{format}"'},
    )
