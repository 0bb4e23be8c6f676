from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession
from libs.common.errors import Forbidden
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery
from services.catalog.channels.service import ChannelNotFound
from services.catalog.orgs.service import OrgNotFound
from services.catalog.pricing import service
from services.catalog.pricing.schemas import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    PriceBook,
    PriceBookCreate,
    PriceBookUpdate,
    PriceRule,
    PriceRuleCreate,
    ResolveRequest,
    ResolveResponse,
    ScopeType,
)
from services.catalog.products.service import SkuNotFound, UnknownCurrency
from services.catalog.web import (
    NotLinked,
    ReaderSessionDep,
    errors,
    provider,
    reader_access,
    resolve_reader,
)

router = APIRouter(tags=["pricing"])
Reader = Annotated[Principal, provider("prices:read", Space.ACCOUNTING)]
Writer = Annotated[Principal, provider("prices:write", Space.ACCOUNTING)]


@router.get("/price-books", response_model=Page[PriceBook], responses=errors())
async def list_price_books(
    session: TenantSession,
    page: PageQuery,
    principal: Reader,
    scope_type: ScopeType | None = None,
    org_id: uuid.UUID | None = None,
    channel_id: uuid.UUID | None = None,
    currency: str | None = None,
) -> Page[PriceBook]:
    rows, cursor = await service.list_books(
        session, principal.tenant_id, page, scope_type, org_id, channel_id, currency
    )
    return Page[PriceBook](items=[PriceBook.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/price-books",
    status_code=201,
    response_model=PriceBook,
    responses=errors(
        OrgNotFound,
        ChannelNotFound,
        SkuNotFound,
        service.InvalidScope,
        UnknownCurrency,
        service.PriceBookOverlaps,
        422,
    ),
)
async def create_price_book(
    body: PriceBookCreate, session: TenantSession, response: Response, principal: Writer
) -> PriceBook:
    """A book (with its first rules). Windows of one scope and currency never overlap: the
    database refuses it, and the answer names the book in the way."""
    book = await service.create_book(session, principal.tenant_id, body)
    set_etag(response, book.version)
    return PriceBook.model_validate(book)


@router.get(
    "/price-books/{book_id}", response_model=PriceBook, responses=errors(service.PriceBookNotFound)
)
async def get_price_book(
    book_id: uuid.UUID, session: TenantSession, response: Response, principal: Reader
) -> PriceBook:
    book = await service.get_book(session, principal.tenant_id, book_id)
    set_etag(response, book.version)
    return PriceBook.model_validate(book)


@router.patch(
    "/price-books/{book_id}",
    response_model=PriceBook,
    responses=errors(service.PriceBookNotFound, service.PriceBookOverlaps, 412, 422),
)
async def update_price_book(
    book_id: uuid.UUID,
    body: PriceBookUpdate,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Writer,
) -> PriceBook:
    book = await service.get_book(session, principal.tenant_id, book_id)
    check_if_match(request, book.version)
    book = await service.update_book(session, book, body)
    set_etag(response, book.version)
    return PriceBook.model_validate(book)


@router.get(
    "/price-books/{book_id}/rules",
    response_model=Page[PriceRule],
    responses=errors(service.PriceBookNotFound),
)
async def list_price_rules(
    book_id: uuid.UUID, session: TenantSession, page: PageQuery, principal: Reader
) -> Page[PriceRule]:
    rows, cursor = await service.list_rules(session, principal.tenant_id, book_id, page)
    return Page[PriceRule](items=[PriceRule.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/price-books/{book_id}/rules",
    status_code=201,
    response_model=PriceRule,
    responses=errors(service.PriceBookNotFound, SkuNotFound, 422),
)
async def create_price_rule(
    book_id: uuid.UUID, body: PriceRuleCreate, session: TenantSession, principal: Writer
) -> PriceRule:
    rule = await service.add_rule(session, principal.tenant_id, book_id, body)
    return PriceRule.model_validate(rule)


@router.delete(
    "/price-books/{book_id}/rules/{rule_id}",
    status_code=204,
    responses=errors(service.PriceBookNotFound, service.PriceRuleNotFound),
)
async def delete_price_rule(
    book_id: uuid.UUID, rule_id: uuid.UUID, session: TenantSession, principal: Writer
) -> Response:
    await service.delete_rule(session, principal.tenant_id, book_id, rule_id)
    return Response(status_code=204)


@router.post(
    "/prices/resolve",
    response_model=ResolveResponse,
    responses=errors(NotLinked, SkuNotFound, service.TooManySkus, UnknownCurrency, 422),
)
async def resolve_prices(
    body: ResolveRequest,
    request: Request,
    rs: ReaderSessionDep,
    _p: Annotated[Principal, reader_access(catalog=False)],
) -> ResolveResponse:
    """The price of one SKU or many for an org, a channel, a quantity, a currency and a
    moment, by precedence org_channel > channel > org > global. Each answer names the
    winning book and rule and every candidate it beat, with the reason."""
    session, principal = rs
    reader = await resolve_reader(session, principal)
    if reader.org_id is not None:
        if body.org_id is not None and body.org_id != reader.org_id:
            raise Forbidden("A client tenant sees its own organisation's prices only")
        body = body.model_copy(update={"org_id": reader.org_id})
    return await service.resolve(
        session, reader.tenant_id, body, request.app.state.settings.resolve_max_skus
    )


@router.get("/agreements", response_model=Page[Agreement], responses=errors())
async def list_agreements(
    session: TenantSession,
    page: PageQuery,
    principal: Reader,
    org_id: uuid.UUID | None = None,
    kind: AgreementKind | None = None,
    status: AgreementStatus | None = None,
    active_at: Annotated[
        datetime | None, Query(description="Only agreements in force at this moment")
    ] = None,
) -> Page[Agreement]:
    """Agreements (warranty, AMC, subscription, distribution): read-only through the API
    (seed 003's addendum: "read-only first"); they arrive by import
    (`POST /imports?kind=agreements`). `org_id` matches either party."""
    rows, cursor = await service.list_agreements(
        session, principal.tenant_id, page, org_id, kind, status, active_at
    )
    return Page[Agreement](items=[Agreement.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/agreements/{agreement_id}",
    response_model=Agreement,
    responses=errors(service.AgreementNotFound),
)
async def get_agreement(
    agreement_id: uuid.UUID, session: TenantSession, principal: Reader
) -> Agreement:
    return Agreement.model_validate(
        await service.get_agreement(session, principal.tenant_id, agreement_id)
    )
