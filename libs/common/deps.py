"""FastAPI dependencies: the principal, space and permission checks, the request session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.audit.context import STATE_KEY as AUDIT_KEY
from libs.common.audit.context import AuditContext
from libs.common.audit.service import record_in_transaction
from libs.common.auth import Principal, Space, TokenVerifier, bearer_token
from libs.common.db import Database, RequestTransaction
from libs.common.elevation import record_elevation_use, settle_elevation
from libs.common.errors import (
    ImpersonationForbidden,
    MissingPermission,
    PasswordChangeRequired,
    Unauthorized,
)
from libs.common.testing import crash_point

_bearer = HTTPBearer(auto_error=False, description="Access token from identity (ES256 JWT)")


async def authenticate(request: Request) -> Principal:
    """The request's verified token, whatever it may do (verified once per request, and
    once per token while it lives: libs.common.auth.TokenVerifier). Every principal
    dependency below comes through here: a check that belongs to every token goes here."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    verifier: TokenVerifier = request.app.state.verifier
    token = bearer_token(request.headers.get("authorization"))
    principal = await verifier.verify(token)
    if principal.elevation is not None or principal.actor is not None:
        # break-glass or impersonation: honoured only while identity says it is active
        principal = await settle_elevation(request.app.state, principal, token)
    request.state.principal = principal
    return principal


def refuse_password_change(principal: Principal) -> None:
    if principal.password_change_required:
        raise PasswordChangeRequired(
            "This token was issued on a temporary password: change the password first "
            "(POST /v1/identity/me/password), then sign in again"
        )


async def verified_principal(
    request: Request,
    _creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> Principal:
    """The verified token, whatever it may do; routes use `get_principal`."""
    return await authenticate(request)


async def get_principal(  # no chain through verified_principal: FastAPI solves each level
    request: Request,
    _creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> Principal:
    principal = await authenticate(request)
    refuse_password_change(principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
# Only for the few routes a temporary-password token may call (changing the password).
PasswordChangePrincipal = Annotated[Principal, Depends(verified_principal)]


def declare_access(
    dependency: Callable[..., Any], spaces: Iterable[Space], perm: str | None
) -> None:
    """Publish what an access dependency checks: the OpenAPI document (libs.openapi) reads
    it, so a route's documented access is its real check, never a second list that could
    drift from it. `require` does this; a service's own access dependency calls it too."""
    dependency.weft_spaces = tuple(spaces)  # type: ignore[attr-defined]
    dependency.weft_permission = perm  # type: ignore[attr-defined]


def refuse_impersonation(principal: Principal) -> None:
    """403 `impersonation_forbidden` for a token whose `act` names another actor."""
    if principal.actor is not None:
        raise ImpersonationForbidden(
            "An impersonation token cannot do this (passwords, API clients, signing keys, "
            "elevations)"
        )


def require(
    *spaces: Space,
    perm: str | None = None,
    any_plant: bool = False,
    impersonation: bool = True,
) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that admits only the given spaces (all if none) and permission.

    `any_plant`: `perm` may be held tenant-wide or for at least one plant; the route then
    checks each row's plant (`Principal.has_permission(perm, plant_id)`) and filters lists
    to `Principal.plant_scope(perm)`.
    `impersonation=False`: what an impersonator must never do (change passwords, create API
    clients, rotate keys); list `ImpersonationForbidden` in the route's responses.
    """

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not impersonation:
            refuse_impersonation(principal)
        if spaces:
            principal.require_space(*spaces)
        if perm and any_plant:
            if not principal.has_any_permission(perm):
                raise MissingPermission(f"Missing permission {perm}")
        elif perm:
            principal.require_permission(perm)
        return principal

    dependency.__name__ = f"require_{'_'.join(s.lower() for s in spaces) or 'any'}_{perm or ''}"
    declare_access(dependency, spaces, perm)
    return dependency


async def _tenant_session(
    request: Request, principal: CurrentPrincipal
) -> AsyncIterator[AsyncSession]:
    state = request.scope.get("state", {})
    outer: RequestTransaction | None = state.get(RequestTransaction.STATE_KEY)
    # A write's audit record commits with the write (libs.common.audit): a write that
    # rolls back leaves the middleware's `error` record instead, never a success.
    audit: AuditContext | None = state.get(AUDIT_KEY)
    if audit is not None and (audit.written or not audit.is_write):
        audit = None
    if outer is not None and outer.tenant_id == principal.tenant_id:
        # The middleware owns the transaction and commits it with the key's outcome; an
        # error here undoes only what the endpoint did (the savepoint).
        if not outer.savepoint:
            yield outer.session
            if principal.elevation_uses:
                await record_elevation_use(outer.session, principal, request)
            return
        async with outer.session.begin_nested():
            yield outer.session
            if principal.elevation_uses:
                await record_elevation_use(outer.session, principal, request)
            if audit is not None:
                await record_in_transaction(outer.session, principal, request.scope, audit)
        if audit is not None:
            audit.written = True
        return
    db: Database = request.app.state.db
    async with db.transaction(
        principal.tenant_id, parent_tenant_id=principal.parent_tenant_id
    ) as session:
        yield session
        if principal.elevation_uses:
            await record_elevation_use(session, principal, request)
        if audit is not None:
            await record_in_transaction(session, principal, request.scope, audit)
    if audit is not None:
        audit.written = True
    crash_point(request.app.state.settings, "after_commit", request.url.path)


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
