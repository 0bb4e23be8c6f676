from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from libs.common.auth import Principal
from libs.common.db import Database
from libs.common.deps import TenantSession
from libs.common.errors import errors as kit_errors
from libs.common.pagination import Page, PageQuery
from services.catalog.coverage import service
from services.catalog.coverage.schemas import (
    AssignRequest,
    Engineer,
    EngineerCreate,
    QrTicketCreate,
    QrTicketReceipt,
    ServicePolicy,
    ServicePolicyPut,
    Ticket,
    TicketCreate,
    TicketEscalation,
    TicketStatus,
)
from services.catalog.orgs.service import OrgNotFound
from services.catalog.web import errors, provider

router = APIRouter(tags=["service"])
public_router = APIRouter(tags=["service"])
Reader = Annotated[Principal, provider("tickets:read")]
Writer = Annotated[Principal, provider("tickets:write")]
PolicyWriter = Annotated[Principal, provider("catalog:write")]


@router.get("/policies/service-coverage", response_model=Page[ServicePolicy], responses=errors())
async def list_service_policies(
    session: TenantSession, page: PageQuery, principal: Reader
) -> Page[ServicePolicy]:
    rows, cursor = await service.list_policies(session, principal.tenant_id, page)
    return Page[ServicePolicy](
        items=[ServicePolicy.model_validate(r) for r in rows], next_cursor=cursor
    )


@router.put(
    "/policies/service-coverage",
    response_model=ServicePolicy,
    responses={
        **errors(OrgNotFound, service.InvalidPolicyScope, 422),
        201: {"description": "Created"},
    },
)
async def put_service_policy(
    body: ServicePolicyPut, session: TenantSession, response: Response, principal: PolicyWriter
) -> ServicePolicy:
    """Create or replace the policy of a scope (global, an org, a manufacturer). Disabled or
    absent policies leave tickets without a responsible organisation."""
    policy, created = await service.put_policy(session, principal.tenant_id, body)
    response.status_code = 201 if created else 200
    return ServicePolicy.model_validate(policy)


@router.get("/engineers", response_model=Page[Engineer], responses=errors())
async def list_engineers(
    session: TenantSession, page: PageQuery, principal: Reader, org_id: uuid.UUID | None = None
) -> Page[Engineer]:
    rows, cursor = await service.list_engineers(session, principal.tenant_id, page, org_id)
    return Page[Engineer](items=[Engineer.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/engineers", status_code=201, response_model=Engineer, responses=errors(OrgNotFound, 422)
)
async def create_engineer(
    body: EngineerCreate, session: TenantSession, principal: PolicyWriter
) -> Engineer:
    return Engineer.model_validate(
        await service.create_engineer(session, principal.tenant_id, body)
    )


@router.get(
    "/engineers/eligible",
    response_model=list[Engineer],
    responses=errors(service.TicketNotFound, 422),
)
async def list_eligible_engineers(
    session: TenantSession,
    principal: Reader,
    ticket_id: Annotated[
        uuid.UUID | None, Query(description="Use the ticket's responsible org and region")
    ] = None,
    org_id: Annotated[uuid.UUID | None, Query(description="None: the internal pool")] = None,
    region: Annotated[str | None, Query(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")] = None,
    skills: Annotated[list[str] | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[Engineer]:
    """Engineers who may take a ticket by hand: available, of the responsible organisation,
    covering the region, holding every skill asked for (nearest coverage first)."""
    rows = await service.eligible_engineers(
        session,
        principal.tenant_id,
        ticket_id=ticket_id,
        org_id=org_id,
        region=region,
        skills=skills or [],
        limit=limit,
    )
    return [Engineer.model_validate(r) for r in rows]


@router.get("/tickets", response_model=Page[Ticket], responses=errors())
async def list_tickets(
    session: TenantSession,
    page: PageQuery,
    principal: Reader,
    status: TicketStatus | None = None,
    responsible_org_id: uuid.UUID | None = None,
) -> Page[Ticket]:
    rows, cursor = await service.list_tickets(
        session, principal.tenant_id, page, status, responsible_org_id
    )
    return Page[Ticket](items=[Ticket.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/tickets",
    status_code=201,
    response_model=Ticket,
    responses=errors(service.EquipmentUnknown, 422),
)
async def create_ticket(body: TicketCreate, session: TenantSession, principal: Writer) -> Ticket:
    """A ticket by a logged-in user; the responsible org is resolved by policy and the
    decision (policy, rule, candidates, escalation path) is kept as its provenance."""
    ticket = await service.create_ticket(session, principal.tenant_id, body, principal.subject)
    return Ticket.model_validate(ticket)


@router.get("/tickets/{ticket_id}", response_model=Ticket, responses=errors(service.TicketNotFound))
async def get_ticket(ticket_id: uuid.UUID, session: TenantSession, principal: Reader) -> Ticket:
    return Ticket.model_validate(await service.get_ticket(session, principal.tenant_id, ticket_id))


@router.get(
    "/tickets/{ticket_id}/escalations",
    response_model=Page[TicketEscalation],
    responses=errors(service.TicketNotFound),
)
async def list_ticket_escalations(
    ticket_id: uuid.UUID, session: TenantSession, page: PageQuery, principal: Reader
) -> Page[TicketEscalation]:
    rows, cursor = await service.list_escalations(session, principal.tenant_id, ticket_id, page)
    return Page[TicketEscalation](
        items=[TicketEscalation.model_validate(r) for r in rows], next_cursor=cursor
    )


@router.post(
    "/tickets/{ticket_id}/acknowledge",
    response_model=Ticket,
    responses=errors(service.TicketNotFound, service.InvalidTicketMove),
)
async def acknowledge_ticket(
    ticket_id: uuid.UUID, session: TenantSession, principal: Writer
) -> Ticket:
    return Ticket.model_validate(await service.acknowledge(session, principal.tenant_id, ticket_id))


@router.post(
    "/tickets/{ticket_id}/resolve",
    response_model=Ticket,
    responses=errors(service.TicketNotFound, service.InvalidTicketMove),
)
async def resolve_ticket(ticket_id: uuid.UUID, session: TenantSession, principal: Writer) -> Ticket:
    return Ticket.model_validate(
        await service.resolve_ticket(session, principal.tenant_id, ticket_id)
    )


@router.post(
    "/tickets/{ticket_id}/assign",
    response_model=Ticket,
    responses=errors(
        service.TicketNotFound,
        service.EngineerNotFound,
        service.EngineerNotEligible,
        service.InvalidTicketMove,
    ),
)
async def assign_ticket(
    ticket_id: uuid.UUID, body: AssignRequest, session: TenantSession, principal: Writer
) -> Ticket:
    ticket = await service.assign(session, principal.tenant_id, ticket_id, body.engineer_id)
    return Ticket.model_validate(ticket)


@public_router.post(
    "/qr/{qr_code}/tickets",
    status_code=201,
    response_model=QrTicketReceipt,
    responses=kit_errors(service.EquipmentUnknown, service.QrRateLimited, 422),
)
async def create_qr_ticket(
    qr_code: Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")],
    body: QrTicketCreate,
    request: Request,
) -> QrTicketReceipt:
    """Open a ticket from an equipment's QR label, without an account (public; limited per
    client address at the gateway and per label here)."""
    db: Database = request.app.state.db
    async with db.transaction(None) as session:
        ticket = await service.create_qr_ticket(
            session, qr_code, body, request.app.state.settings.qr_tickets_per_hour
        )
        return QrTicketReceipt.model_validate(
            {
                "ticket_id": ticket.id,
                "status": ticket.status,
                "response_due_at": ticket.response_due_at,
            }
        )
