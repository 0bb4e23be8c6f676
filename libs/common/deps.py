"""FastAPI dependencies: the principal, space and permission checks, the request session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal, Space, TokenVerifier, bearer_token
from libs.common.db import Database
from libs.common.errors import Unauthorized

_bearer = HTTPBearer(auto_error=False, description="Access token from identity (ES256 JWT)")


async def get_principal(
    request: Request,
    _creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    verifier: TokenVerifier = request.app.state.verifier
    token = bearer_token(request.headers.get("authorization"))
    principal = await verifier.verify(token)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require(
    *spaces: Space, perm: str | None = None
) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that admits only the given spaces (all if none) and permission."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if spaces:
            principal.require_space(*spaces)
        if perm:
            principal.require_permission(perm)
        return principal

    dependency.__name__ = f"require_{'_'.join(s.lower() for s in spaces) or 'any'}_{perm or ''}"
    return dependency


async def _tenant_session(
    request: Request, principal: CurrentPrincipal
) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    async with db.transaction(
        principal.tenant_id, parent_tenant_id=principal.parent_tenant_id
    ) as session:
        yield session


async def _system_session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    async with db.transaction(None, system=True) as session:
        yield session


# scope="function": the transaction commits when the endpoint returns, before the response
# is sent, so a client that got 201 can read the record back at once.
TenantSession = Annotated[AsyncSession, Depends(_tenant_session, scope="function")]
# For the few public operations that must look across tenants (login, token, invites).
SystemSession = Annotated[AsyncSession, Depends(_system_session, scope="function")]


def optional_bearer(request: Request) -> str | None:
    try:
        return bearer_token(request.headers.get("authorization"))
    except Unauthorized:
        return None
