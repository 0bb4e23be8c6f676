from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy import select

from libs.common.auth import Principal
from libs.common.deps import TenantSession, require
from libs.common.errors import AUTH_ERRORS, Forbidden, NotFound, problem_responses
from libs.common.pagination import Page, PageQuery, paginate
from services.identity import security
from services.identity.api_clients.schemas import ApiClient as ApiClientOut
from services.identity.api_clients.schemas import ApiClientCreate, ApiClientCreated
from services.identity.audit.service import record
from services.identity.models import ApiClient, Role
from services.identity.users.service import can_grant

router = APIRouter(tags=["api-clients"])

Manager = Annotated[Principal, Depends(require(perm="api_clients:manage"))]
Reader = Annotated[Principal, Depends(require(perm="api_clients:read"))]


@router.post(
    "/api-clients",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiClientCreated,
    responses={**AUTH_ERRORS, **problem_responses(422)},
)
async def create_api_client(
    data: ApiClientCreate, principal: Manager, session: TenantSession
) -> ApiClientCreated:
    """A machine client for the client-credentials grant. The secret is shown once."""
    probe = Role(permissions=list(data.scopes))
    if not can_grant(principal, probe):
        raise Forbidden("A client cannot get scopes you do not hold", code="permission_escalation")
    secret = "wcs_" + security.new_secret()
    client = ApiClient(
        tenant_id=principal.tenant_id,
        client_id="wc_" + secrets.token_hex(12),
        name=data.name,
        secret_hash=security.sha256_hex(secret),
        scopes=sorted(set(data.scopes)),
        created_by=principal.subject,
    )
    session.add(client)
    await session.flush()
    await record(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.subject,
        action="api_client.created",
        target=f"api_client:{client.id}",
        details={"client_id": client.client_id, "scopes": client.scopes},
    )
    return ApiClientCreated(
        **ApiClientOut.model_validate(client).model_dump(), client_secret=secret
    )


@router.get("/api-clients", response_model=Page[ApiClientOut], responses=AUTH_ERRORS)
async def list_api_clients(
    principal: Reader, session: TenantSession, page: PageQuery
) -> Page[ApiClientOut]:
    stmt = select(ApiClient).where(ApiClient.tenant_id == principal.tenant_id)
    rows, cursor = await paginate(session, stmt, page, keys=[ApiClient.id])
    return Page(items=[ApiClientOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.delete(
    "/api-clients/{api_client_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**AUTH_ERRORS, **problem_responses(404)},
)
async def revoke_api_client(
    api_client_id: uuid.UUID, principal: Manager, session: TenantSession
) -> Response:
    """Revoke: its secret stops working at once (tokens already issued live out their minutes)."""
    client = await session.get(ApiClient, api_client_id)
    if client is None or client.tenant_id != principal.tenant_id:
        raise NotFound("API client not found", code="api_client_not_found")
    if client.revoked_at is None:
        client.revoked_at = datetime.now(UTC)
        await record(
            session,
            tenant_id=principal.tenant_id,
            actor=principal.subject,
            action="api_client.revoked",
            target=f"api_client:{client.id}",
            details={"client_id": client.client_id},
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
