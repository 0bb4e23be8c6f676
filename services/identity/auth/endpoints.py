from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

import orjson
from fastapi import APIRouter, Request, Response, status
from pydantic import ValidationError

from libs.common.deps import CurrentPrincipal, TenantSession
from libs.common.errors import AUTH_ERRORS, BadRequest, NotFound, Unauthorized, problem_responses
from services.identity.auth import service
from services.identity.auth.schemas import (
    LoginRequest,
    Me,
    RefreshRequest,
    TokenRequest,
    TokenResponse,
)
from services.identity.deps import Db, IdentitySettings, Keys
from services.identity.tenants import repository as tenants_repo
from services.identity.tenants.schemas import Tenant
from services.identity.users import repository as users_repo
from services.identity.users import service as users

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/login", response_model=TokenResponse, responses=problem_responses(401, 403, 422)
)
async def login(
    data: LoginRequest, db: Db, keys: Keys, settings: IdentitySettings
) -> TokenResponse:
    """Password login into one tenant (by slug) and one space. `space` may be left out when
    the user has a single space; with several the answer is 422 `space_required`."""
    return await service.login(db, keys, settings, data)


@router.post("/auth/refresh", response_model=TokenResponse, responses=problem_responses(401, 422))
async def refresh_token(
    data: RefreshRequest, db: Db, keys: Keys, settings: IdentitySettings
) -> TokenResponse:
    """Rotate a refresh token: the old one is spent; reusing a spent one revokes its family."""
    return await service.refresh(db, keys, settings, data.refresh_token)


_TOKEN_SCHEMA = TokenRequest.model_json_schema()
_TOKEN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": _TOKEN_SCHEMA},
            "application/json": {"schema": _TOKEN_SCHEMA},
        },
    }
}


async def _token_request(request: Request) -> TokenRequest:
    raw = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if ctype == "application/json":
            body = orjson.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise BadRequest("The body must be an object", code="invalid_request")
        else:
            body = {}
            for pair in raw.decode().split("&"):
                if pair:
                    k, _, v = pair.partition("=")
                    body[unquote_plus(k)] = unquote_plus(v)
        req = TokenRequest.model_validate(body)
    except (orjson.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("The body cannot be read", code="invalid_request") from None
    except ValidationError as exc:
        raise BadRequest(
            f"Invalid token request: {exc.errors()[0]['msg']}", code="invalid_request"
        ) from None
    basic = request.headers.get("authorization", "")
    if basic.lower().startswith("basic "):
        try:
            cid, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("Malformed Basic credentials", code="invalid_client") from None
        req.client_id, req.client_secret = unquote_plus(cid), unquote_plus(secret)
    return req


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    openapi_extra=_TOKEN_BODY,
    responses=problem_responses(400, 401),
)
async def issue_token(
    request: Request, db: Db, keys: Keys, settings: IdentitySettings
) -> TokenResponse:
    """OAuth 2 token endpoint (form-encoded or JSON): `client_credentials` gives a DEVELOPER
    token whose permissions are the client's scopes; `refresh_token` rotates a refresh token."""
    req = await _token_request(request)
    if req.grant_type == "refresh_token":
        if not req.refresh_token:
            raise BadRequest("refresh_token is required", code="invalid_request")
        return await service.refresh(db, keys, settings, req.refresh_token)
    if not req.client_id or not req.client_secret:
        raise Unauthorized("client_id and client_secret are required", code="invalid_client")
    return await service.client_credentials(
        db, keys, settings, req.client_id, req.client_secret, req.scope
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=AUTH_ERRORS)
async def logout(
    data: RefreshRequest, principal: CurrentPrincipal, session: TenantSession
) -> Response:
    """Revoke the refresh token's whole family (every token rotated from the same login)."""
    if principal.user_id is not None:
        await service.logout(session, principal.user_id, principal.tenant_id, data.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me, responses=AUTH_ERRORS)
async def get_me(principal: CurrentPrincipal, session: TenantSession) -> Me:
    """Who the token speaks for: user (or API client), tenant, space, roles, permissions."""
    tenant = await tenants_repo.get(session, principal.tenant_id)
    if tenant is None:
        raise NotFound("Tenant not found", code="tenant_not_found")
    user = await users_repo.get(session, principal.user_id) if principal.user_id else None
    return Me(
        user=await users.to_out(session, user) if user else None,
        client_id=principal.client_id,
        tenant=Tenant.model_validate(tenant),
        space=principal.space,
        roles=sorted(principal.roles),
        permissions=sorted(principal.permissions),
    )
