from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery, paginate
from services.production.lots import repository as repo
from services.production.lots import service
from services.production.lots.schemas import Lot, LotCreate, LotGate, LotGateHistory, LotGateMove
from services.production.models import Lot as LotModel
from services.production.models import LotGateHistory as HistoryModel
from services.production.web import errors, provider, provider_or_client

router = APIRouter(prefix="/lots", tags=["lots"])

Reader = Annotated[Principal, provider_or_client("lots:read")]
Writer = Annotated[Principal, provider("lots:write")]


@router.get("", response_model=Page[Lot], responses=errors(400))
async def list_lots(
    session: TenantSession,
    page: PageQuery,
    principal: Reader,
    gate: Annotated[list[LotGate] | None, Query()] = None,
    plant_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> Page[Lot]:
    """The provider's lots, or, for a brand (CLIENT space), the lots made for it."""
    stmt = repo.list_stmt(
        principal,
        gate=list(gate) if gate else None,
        plant_id=plant_id,
        order_id=order_id,
        created_from=created_from,
        created_to=created_to,
    )
    rows, cursor = await paginate(session, stmt, page, keys=[LotModel.id])
    return Page[Lot](items=[Lot.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("", status_code=201, response_model=Lot, responses=errors(404, 409))
async def create_lot(
    body: LotCreate, session: TenantSession, response: Response, principal: Writer
) -> Lot:
    lot = await service.create_lot(session, principal, body)
    set_etag(response, lot.version)
    return Lot.model_validate(lot)


@router.get("/{lot_id}", response_model=Lot, responses=errors(404))
async def get_lot(
    lot_id: uuid.UUID, session: TenantSession, response: Response, principal: Reader
) -> Lot:
    lot = await service.get_lot(session, principal, lot_id)
    set_etag(response, lot.version)
    return Lot.model_validate(lot)


@router.post("/{lot_id}/gate", response_model=Lot, responses=errors(404, 409, 412))
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
    rejected need `lots:approve` instead.
    Send If-Match with the lot's ETag; other moves are 409 `invalid_transition`."""
    lot = await service.get_lot(session, principal, lot_id, for_update=True)
    check_if_match(request, lot.version)
    lot = await service.move_gate(session, principal, lot, body.to, note=body.note)
    set_etag(response, lot.version)
    return Lot.model_validate(lot)


@router.get("/{lot_id}/history", response_model=Page[LotGateHistory], responses=errors(404))
async def list_lot_gate_history(
    lot_id: uuid.UUID, session: TenantSession, page: PageQuery, principal: Reader
) -> Page[LotGateHistory]:
    """Every gate the lot reached: who moved it and when (oldest first)."""
    lot = await service.get_lot(session, principal, lot_id)
    rows, cursor = await paginate(
        session, repo.history_stmt(lot.id), page, keys=[HistoryModel.id], descending=False
    )
    return Page[LotGateHistory](
        items=[LotGateHistory.model_validate(r) for r in rows], next_cursor=cursor
    )
