"""The kit's audit routes, mounted by every service (create_service_app):

- `GET /audit-records`: the tenant's records, newest first, for holders of `audit:read`;
- `POST /internal/audit-records`: records made by the gateway (requests it refused before
  any service ran: a wrong space, a rate limit), signed as Standard Webhooks with the
  gateway's audit secret. `/internal/...` is never reachable through the gateway.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ValidationError

from libs.common.audit import service
from libs.common.audit.errors import AuditSignatureRejected, InvalidAuditBatch
from libs.common.audit.repository import RecordFilter
from libs.common.audit.schemas import AuditBatch, AuditRecord
from libs.common.audit.table import Outcome
from libs.common.auth import Principal
from libs.common.deps import SystemSession, TenantSession, require
from libs.common.errors import InvalidCursor, ValidationFailed, errors
from libs.common.pagination import Page, PageQuery
from libs.common.webhooks import WebhookVerificationError, verify

router = APIRouter(tags=["audit"])


class AuditIngestResult(BaseModel):
    accepted: int
    duplicates: int


@router.get(
    "/audit-records",
    response_model=Page[AuditRecord],
    responses=errors(InvalidCursor),
)
async def list_audit_records(
    principal: Annotated[Principal, Depends(require(perm="audit:read"))],
    session: TenantSession,
    page: PageQuery,
    actor: Annotated[
        str | None, Query(max_length=255, description="A subject: the actor or the `act` actor")
    ] = None,
    route: Annotated[
        str | None,
        Query(
            max_length=500,
            description="A route template (`/v1/production/lots/{lot_id}`) or a path",
        ),
    ] = None,
    outcome: Outcome | None = None,
    request_id: Annotated[str | None, Query(max_length=128)] = None,
    since: Annotated[datetime | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="Before this time")] = None,
) -> Page[AuditRecord]:
    """One record per write, denied or throttled request of the caller's tenant on this
    service, newest first. Kept for the published retention period (400 days by default)."""
    f = RecordFilter(
        actor=actor,
        route=route,
        outcome=outcome.value if outcome else None,
        request_id=request_id,
        since=since,
        until=until,
    )
    return await service.list_records(session, principal, f, page)


@router.post(
    "/internal/audit-records",
    response_model=AuditIngestResult,
    summary="Store audit records the gateway made (gateway to service only)",
    responses=errors(AuditSignatureRejected, InvalidAuditBatch, ValidationFailed),
)
async def ingest_audit_records(request: Request, session: SystemSession) -> AuditIngestResult:
    secret = request.app.state.settings.audit_ingest_secret
    body = await request.body()
    if not secret:
        raise AuditSignatureRejected("No audit ingest secret is configured")
    try:
        verify([secret], request.headers, body)
    except WebhookVerificationError as exc:
        raise AuditSignatureRejected(f"Signature rejected: {exc}") from None
    try:
        batch = AuditBatch.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidAuditBatch(
            "The batch is not valid",
            extra={
                "errors": exc.errors(include_url=False, include_input=False, include_context=False)
            },
        ) from None
    accepted = await service.ingest(session, batch)
    return AuditIngestResult(accepted=accepted, duplicates=len(batch.records) - accepted)
