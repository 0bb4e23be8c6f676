"""Passports: publishing (PROVIDER), listing (PROVIDER and the brand), and the public reads
(by id and at the GS1 Digital Link path), with content negotiation and a QR code."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal, Space
from libs.common.db import Database
from libs.common.deps import TenantSession, require
from libs.common.errors import AUTH_ERRORS, errors
from libs.common.pagination import Page, PageQuery
from libs.common.responses import ORJSONResponse
from services.quality.access import require_route
from services.quality.models import Passport as PassportRow
from services.quality.passports import service
from services.quality.passports.page import render
from services.quality.passports.schemas import BulkPublish, BulkResult, Passport, PassportPublish
from services.quality.storage import sign_public_photo
from services.quality.urls import public_base, public_host, public_root

router = APIRouter(tags=["passports"])
JSON_LD = "application/ld+json"


async def _reader(
    principal: Annotated[Principal, Depends(require(Space.PROVIDER, Space.CLIENT))],
) -> Principal:
    require_route(principal, "passports:read")
    return principal


async def _publisher(
    principal: Annotated[Principal, Depends(require(Space.PROVIDER))],
) -> Principal:
    require_route(principal, "passports:write")
    return principal


async def _public_session(request: Request) -> AsyncIterator[AsyncSession]:
    """No tenant and no system flag: the row-level policy shows published passports only."""
    db: Database = request.app.state.db
    async with db.transaction(None) as session:
        yield session


PublicSession = Annotated[AsyncSession, Depends(_public_session, scope="function")]


@router.post(
    "/lots/{lot_id}/passports",
    status_code=201,
    response_model=Passport,
    summary="Publish the lot's passport (a new version when one exists; published ones never change)",
    responses={**AUTH_ERRORS, **errors(service.LotNotFound, 422)},
)
async def publish_passport(
    principal: Annotated[Principal, Depends(_publisher)],
    session: TenantSession,
    lot_id: uuid.UUID,
    request: Request,
    body: PassportPublish | None = None,
) -> Passport:
    body = body or PassportPublish.model_validate({})
    found = await service.publish_lot(
        session,
        principal,
        lot_id,
        root=public_root(request),
        base=public_base(request),
        host=public_host(request),
        description=body.description,
    )
    return Passport.model_validate(found)


@router.post(
    "/passports/publish",
    response_model=BulkResult,
    summary="Publish the passports of every inspected lot of a product or a brand",
    responses={**AUTH_ERRORS, **errors(service.UnknownCustomer, 422)},
)
async def publish_passports(
    principal: Annotated[Principal, Depends(_publisher)],
    session: TenantSession,
    request: Request,
    body: BulkPublish,
) -> BulkResult:
    done, skipped = await service.publish_many(
        session,
        principal,
        product_sku=body.product_sku,
        customer=body.customer_tenant_id,
        root=public_root(request),
        base=public_base(request),
        host=public_host(request),
    )
    return BulkResult(published=[Passport.model_validate(p) for p in done], skipped=skipped)


@router.get(
    "/passports",
    response_model=Page[Passport],
    summary="Passports (every version), newest first",
    responses=AUTH_ERRORS,
)
async def list_passports(
    principal: Annotated[Principal, Depends(_reader)],
    session: TenantSession,
    page: PageQuery,
    lot_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[Passport]:
    rows, cursor = await service.list_passports(session, principal, page, lot_id)
    return Page(items=[Passport.model_validate(r) for r in rows], next_cursor=cursor)


def _wants_html(accept: str) -> bool:
    """A browser (text/html before any JSON type) gets the page; machines get JSON-LD."""
    html = accept.find("text/html")
    json = accept.find("json")
    return html >= 0 and (json < 0 or html < json)


def _negotiate(request: Request, passport: PassportRow) -> Response:
    base = public_base(request)
    wants_html = _wants_html(request.headers.get("accept", ""))
    headers = {"Vary": "Accept", "Cache-Control": "public, max-age=60"}
    if not wants_html:
        return ORJSONResponse(passport.credential, media_type=JSON_LD, headers=headers)
    settings = request.app.state.settings
    html = render(
        passport.page,
        version=passport.version,
        status=passport.status,
        json_url=f"{base}/passports/{passport.id}",
        qr_url=f"{base}/passports/{passport.id}/qr.svg",
        photo_urls=[
            sign_public_photo(base, key, settings) for key in passport.page.get("photos", [])
        ],
    )
    return HTMLResponse(html, headers=headers)


_PUBLIC_RESPONSES = {
    200: {
        "description": "The passport: JSON-LD (UNTP DPP 0.6) or, for Accept: text/html, a page",
        "content": {JSON_LD: {"schema": {"type": "object"}}, "text/html": {}},
    },
    **errors(service.PassportNotFound),
}


@router.get(
    "/passports/{passport_id}",
    summary="A published passport, public (JSON-LD or an HTML page by Accept)",
    response_class=Response,
    responses=_PUBLIC_RESPONSES,
)
async def get_public_passport(
    session: PublicSession, passport_id: uuid.UUID, request: Request
) -> Response:
    return _negotiate(request, await service.public_by_id(session, passport_id))


@router.get(
    "/01/{gtin}/10/{lot_number}",
    summary="GS1 Digital Link resolver: the current passport of a GTIN and batch/lot",
    description=(
        "Public, no token. The gateway serves it at its root too (`/01/{gtin}/10/{lot}`, the "
        "URI the passport's QR code encodes). A browser (`Accept: text/html`) gets the "
        "passport page; `application/ld+json` or `application/json` the UNTP DPP 0.6 "
        "credential; an unknown GTIN and lot 404 `passport_not_found`."
    ),
    response_class=Response,
    responses=_PUBLIC_RESPONSES,
)
async def resolve_digital_link(
    session: PublicSession,
    gtin: Annotated[str, Path(pattern=r"^\d{8}$|^\d{12,14}$")],
    lot_number: Annotated[str, Path(max_length=120)],
    request: Request,
) -> Response:
    return _negotiate(request, await service.public_by_link(session, gtin, lot_number))


@router.get(
    "/passports/{passport_id}/qr.{kind}",
    summary="QR code of the passport's GS1 Digital Link URI at the gateway's root (SVG or PNG)",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}, "image/png": {}}},
        **errors(service.PassportNotFound, 422),
    },
)
async def get_passport_qr(
    session: PublicSession,
    passport_id: uuid.UUID,
    kind: Annotated[str, Path(pattern=r"^(svg|png)$")],
    request: Request,
) -> Response:
    passport = await service.public_by_id(session, passport_id)
    url = service.qr_target(passport, root=public_root(request), base=public_base(request))
    media = "image/svg+xml" if kind == "svg" else "image/png"
    return Response(
        service.qr(url, kind), media_type=media, headers={"Cache-Control": "public, max-age=3600"}
    )
