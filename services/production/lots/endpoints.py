from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.errors import Unauthorized, VersionMismatch
from libs.common.errors import errors as kit_errors
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery
from libs.common.reads import TenantReads, page_response
from libs.common.webhooks import WebhookVerificationError, verify
from libs.contracts import InvalidEvent, UnknownEventType, parse_event
from services.production.access import PlantNotPermitted, customer_reader, errors, provider
from services.production.lots import service
from services.production.lots.errors import (
    InspectionRequired,
    InvalidGateMove,
    LotNotFound,
    LotNumberTaken,
    LotQuantityExceedsOrder,
    OrderClosedForLots,
    OrderNotInProduction,
    OverrideNotApplicable,
)
from services.production.lots.schemas import (
    Lot,
    LotCreate,
    LotFilters,
    LotGate,
    LotGateHistory,
    LotGateMove,
)
from services.production.lots.service import IntakeStatus
from services.production.lots.subscriptions import QUALITY_PATH
from services.production.orders.errors import OrderNotFound

router = APIRouter(prefix="/lots", tags=["lots"])

Reader = Annotated[Principal, customer_reader("lots:read")]
Writer = Annotated[Principal, provider("lots:write")]


@router.get("", response_model=Page[Lot], responses=errors(400))
async def list_lots(
    reads: TenantReads,
    page: PageQuery,
    principal: Reader,
    gate: Annotated[list[LotGate] | None, Query()] = None,
    plant_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> Response:
    """The provider's lots (at the plants the caller may read), or, for a brand (CLIENT
    space), the lots made for it."""
    filters = LotFilters(
        gate=gate,
        plant_id=plant_id,
        order_id=order_id,
        created_from=created_from,
        created_to=created_to,
    )
    rows, cursor = await service.list_lots(reads, principal, page, filters)
    return page_response(rows, cursor)


@router.post(
    "",
    status_code=201,
    response_model=Lot,
    responses=errors(
        OrderNotFound,
        PlantNotPermitted,
        LotNumberTaken,
        OrderClosedForLots,
        LotQuantityExceedsOrder,
    ),
)
async def create_lot(
    body: LotCreate, session: TenantSession, response: Response, principal: Writer
) -> Lot:
    """A lot of an order. The order's lots together hold at most the order's quantity
    (422 `lot_quantity_exceeds_order`)."""
    lot = await service.create_lot(session, principal, body)
    set_etag(response, lot.version)
    return Lot.model_validate(lot)


@router.get("/{lot_id}", response_model=Lot, responses=errors(LotNotFound, PlantNotPermitted))
async def get_lot(
    lot_id: uuid.UUID, session: TenantSession, response: Response, principal: Reader
) -> Lot:
    lot = await service.get_lot(session, principal, lot_id)
    set_etag(response, lot.version)
    return Lot.model_validate(lot)


@router.post(
    "/{lot_id}/gate",
    response_model=Lot,
    responses=errors(
        LotNotFound,
        PlantNotPermitted,
        InvalidGateMove,
        OrderNotInProduction,
        InspectionRequired,
        OverrideNotApplicable,
        VersionMismatch,
    ),
)
async def move_lot_gate(
    lot_id: uuid.UUID,
    body: LotGateMove,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Annotated[Principal, provider(None)],
) -> Lot:
    """created -> in_production -> qa_pending -> approved | rejected; approved -> packed ->
    shipped; rejected -> in_production (rework). Moves need `lots:write`; approved and
    rejected need `lots:approve` instead (tenant-wide or at the lot's plant).
    A lot goes into production only when its order is allocated or further (409
    `order_not_in_production`). Approving needs a passed quality inspection of the lot's
    current round (409 `inspection_required`; a passed inspection moves the lot by itself),
    unless a QA manager (`qa:override`) gives an `override_reason`, kept in the lot's
    history and the event. Send If-Match with the lot's ETag; other moves are 409
    `invalid_transition`."""
    lot = await service.get_lot(session, principal, lot_id, perm=None, for_update=True)
    check_if_match(request, lot.version)
    lot = await service.move_gate(
        session, principal, lot, body.to, note=body.note, override_reason=body.override_reason
    )
    set_etag(response, lot.version)
    return Lot.model_validate(lot)


@router.get(
    "/{lot_id}/history",
    response_model=Page[LotGateHistory],
    responses=errors(LotNotFound, PlantNotPermitted),
)
async def list_lot_gate_history(
    lot_id: uuid.UUID, session: TenantSession, page: PageQuery, principal: Reader
) -> Page[LotGateHistory]:
    """Every gate the lot reached: who moved it and when (oldest first)."""
    rows, cursor = await service.list_history(session, principal, lot_id, page)
    return Page[LotGateHistory](
        items=[LotGateHistory.model_validate(r) for r in rows], next_cursor=cursor
    )


intake_router = APIRouter(tags=["internal"])


class IntakeResult(BaseModel):
    status: IntakeStatus


@intake_router.post(
    QUALITY_PATH,
    response_model=IntakeResult,
    summary="Receive quality's inspection verdicts from sync (Standard Webhooks, own secret)",
    responses=kit_errors(401, UnknownEventType, InvalidEvent),
)
async def receive_quality_event(request: Request) -> IntakeResult:
    """A completed inspection moves its lot (once; stale or foreign verdicts are kept and
    ignored)."""
    body = await request.body()
    secret = request.app.state.settings.service_secret
    try:
        verify([secret], request.headers, body)
    except (WebhookVerificationError, ValueError) as exc:
        raise Unauthorized(f"Signature rejected: {exc}", code="invalid_signature") from None
    event = parse_event(body)
    return IntakeResult(status=await service.apply_inspection(request.app.state.db, event))
