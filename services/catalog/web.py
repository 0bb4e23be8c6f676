"""What the feature endpoints share: who may call, the reader's view, schema bases, money.

Who may do what:
- PROVIDER users of the tenant (the manufacturer network's owner) manage everything, with
  `catalog:read` / `catalog:write` (catalog, orgs, channels, tickets) and `prices:read` /
  `prices:write` (price books; also open to the provider's ACCOUNTING space).
- Users of a client tenant linked to an organisation (`organisations.client_tenant_id`) read
  that organisation's channel catalog (CLIENT or ACCOUNTING space) and its prices (ACCOUNTING
  space, or CLIENT with `prices:read`), nothing else. Identity puts the organisation in
  their tokens (`org_id`, `org_type`, learned from catalog.organisation.linked); catalog
  takes the claim when it still names the tenant's active linked organisation, else its
  own link (a token issued before the event arrived).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal, Space
from libs.common.db import Database
from libs.common.deps import CurrentPrincipal, declare_access
from libs.common.errors import (
    AppError,
    Forbidden,
    InvalidToken,
    MissingPermission,
    MissingToken,
    TokenExpired,
    WrongSpace,
)
from libs.common.errors import errors as kit_errors
from services.catalog.models import Organisation


def provider(perm: str, *extra: Space) -> Any:
    """The provider's own users (and `extra` spaces of the provider), with `perm`."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        principal.require_space(Space.PROVIDER, *extra)
        if principal.parent_tenant_id is not None:
            raise Forbidden("Only the provider's users may do this", code="provider_only")
        principal.require_permission(perm)
        return principal

    dependency.__name__ = f"provider_{perm.replace(':', '_')}"
    # the spec's "open to" is this check's spaces, not every space
    declare_access(dependency, (Space.PROVIDER, *extra), perm)
    return Depends(dependency)


_AUTH = (MissingToken, InvalidToken, TokenExpired, WrongSpace, MissingPermission)


def errors(*items: type[AppError] | int) -> dict[int | str, dict[str, Any]]:
    """The route's documented problems: the auth ones every route has, and `items` (typed
    errors, or bare statuses)."""
    return kit_errors(*_AUTH, *items)


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True, slots=True)
class Reader:
    """Whose catalog a request reads: the provider tenant, and for a client tenant's user the
    one organisation it acts as (`org_id`); None for the provider's own users."""

    principal: Principal
    tenant_id: uuid.UUID
    org_id: uuid.UUID | None
    org_type: str | None

    @property
    def is_client(self) -> bool:
        return self.principal.parent_tenant_id is not None


class NotLinked(Forbidden):
    code = "tenant_not_linked"
    title = "No organisation is linked to this tenant"


async def _reader_session(
    request: Request, principal: CurrentPrincipal
) -> AsyncIterator[tuple[AsyncSession, Principal]]:
    db: Database = request.app.state.db
    # both halves of the client rule: the row's tenant is our parent (weft.parent_tenant_id)
    # and our tenant is linked to one of its organisations (client_links)
    async with db.transaction(
        principal.tenant_id, parent_tenant_id=principal.parent_tenant_id
    ) as session:
        yield session, principal


def org_claim(principal: Principal) -> uuid.UUID | None:
    """The token's `org_id` claim (identity sets it for a client tenant linked to an
    organisation, from catalog.organisation.linked), or None."""
    value = principal.claims.get("org_id")
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


async def resolve_reader(session: AsyncSession, principal: Principal) -> Reader:
    """The organisation a client tenant's user acts as: the token's `org_id` claim when it
    still names an active organisation linked to this tenant (a link changed since the token
    was issued is caught here), else catalog's own link."""
    if principal.parent_tenant_id is None:
        return Reader(principal, principal.tenant_id, None, None)
    linked = [
        Organisation.tenant_id == principal.parent_tenant_id,
        Organisation.client_tenant_id == principal.tenant_id,
    ]
    claimed = org_claim(principal)
    org = None
    if claimed is not None:
        org = await session.scalar(select(Organisation).where(*linked, Organisation.id == claimed))
    if org is None:
        org = await session.scalar(select(Organisation).where(*linked))
    if org is None or org.status != "active":
        raise NotLinked("This tenant acts as no active organisation of its provider")
    return Reader(principal, principal.parent_tenant_id, org.id, org.type)


ReaderSessionDep = Annotated[
    tuple[AsyncSession, Principal], Depends(_reader_session, scope="function")
]


def reader_access(catalog: bool = True) -> Any:
    """Provider users with catalog:read / prices:read; linked client users (see module doc)."""
    perm = "catalog:read" if catalog else "prices:read"

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.parent_tenant_id is None:
            principal.require_space(Space.PROVIDER, *(() if catalog else (Space.ACCOUNTING,)))
            principal.require_permission(perm)
        elif catalog:
            principal.require_space(Space.CLIENT, Space.ACCOUNTING)
        elif principal.space != Space.ACCOUNTING:
            principal.require_space(Space.CLIENT)
            principal.require_permission("prices:read")
        return principal

    dependency.__name__ = f"reader_{perm.replace(':', '_')}"
    # provider users (PROVIDER, and ACCOUNTING for prices) or a linked client's users
    # (CLIENT, ACCOUNTING); the permission is the provider side's
    declare_access(dependency, (Space.PROVIDER, Space.CLIENT, Space.ACCOUNTING), perm)
    return Depends(dependency)


# Money and quantities travel as decimal strings; numbers are accepted on input.
Amount = Annotated[Decimal, Field(max_digits=18, decimal_places=4)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=3)]
