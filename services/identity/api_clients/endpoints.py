from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from libs.common.auth import Principal
from libs.common.deps import TenantSession, require
from libs.common.errors import ImpersonationForbidden
from libs.common.pagination import Page, PageQuery
from services.identity.api_clients import service
from services.identity.api_clients.errors import ApiClientNotFound, PermissionEscalation
from services.identity.api_clients.schemas import ApiClient as ApiClientOut
from services.identity.api_clients.schemas import ApiClientCreate, ApiClientCreated
from services.identity.errors import responses

router = APIRouter(tags=["api-clients"])

Manager = Annotated[Principal, Depends(require(perm="api_clients:manage"))]
Creator = Annotated[Principal, Depends(require(perm="api_clients:manage", impersonation=False))]
Reader = Annotated[Principal, Depends(require(perm="api_clients:read"))]


@router.post(
    "/api-clients",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiClientCreated,
    responses=responses(PermissionEscalation, ImpersonationForbidden),
)
async def create_api_client(
    data: ApiClientCreate, principal: Creator, session: TenantSession
) -> ApiClientCreated:
    """A machine client for the client-credentials grant. The secret is shown once."""
    return await service.create_client(session, principal, data)


@router.get("/api-clients", response_model=Page[ApiClientOut], responses=responses())
async def list_api_clients(
    principal: Reader, session: TenantSession, page: PageQuery
) -> Page[ApiClientOut]:
    return await service.list_clients(session, principal, page)


@router.delete(
    "/api-clients/{api_client_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(ApiClientNotFound),
)
async def revoke_api_client(
    api_client_id: uuid.UUID, principal: Manager, session: TenantSession
) -> Response:
    """Revoke: its secret stops working at once (tokens already issued live out their minutes)."""
    await service.revoke_client(session, principal, api_client_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
