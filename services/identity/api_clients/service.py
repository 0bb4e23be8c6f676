"""API clients: machines (ERPs) with the client-credentials grant; scopes never beyond
what their creator holds; the secret is shown once and kept as its sha256."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.pagination import Page, PageParams
from services.identity import security
from services.identity.api_clients import repository as repo
from services.identity.api_clients.errors import ApiClientNotFound, PermissionEscalation
from services.identity.api_clients.schemas import ApiClient as ApiClientOut
from services.identity.api_clients.schemas import ApiClientCreate, ApiClientCreated
from services.identity.audit.service import record
from services.identity.models import ApiClient, Role
from services.identity.users.service import can_grant


async def create_client(
    session: AsyncSession, principal: Principal, data: ApiClientCreate
) -> ApiClientCreated:
    if not can_grant(principal, Role(permissions=list(data.scopes))):
        raise PermissionEscalation("A client cannot get scopes you do not hold")
    secret = "wcs_" + security.new_secret()
    client = await repo.add(
        session,
        ApiClient(
            tenant_id=principal.tenant_id,
            client_id="wc_" + secrets.token_hex(12),
            name=data.name,
            secret_hash=security.sha256_hex(secret),
            scopes=sorted(set(data.scopes)),
            created_by=principal.subject,
        ),
    )
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


async def list_clients(
    session: AsyncSession, principal: Principal, page: PageParams
) -> Page[ApiClientOut]:
    rows, cursor = await repo.list_page(session, principal.tenant_id, page)
    return Page(items=[ApiClientOut.model_validate(r) for r in rows], next_cursor=cursor)


async def revoke_client(session: AsyncSession, principal: Principal, id_: uuid.UUID) -> None:
    """Its secret stops working at once (tokens already issued live out their minutes)."""
    client = await repo.get(session, principal.tenant_id, id_)
    if client is None:
        raise ApiClientNotFound("API client not found")
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
