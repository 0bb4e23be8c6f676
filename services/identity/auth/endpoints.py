from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Request, Response, status
from pydantic import ValidationError

from libs.common.deps import PasswordChangePrincipal
from libs.common.errors import AUTH_ERRORS, AppError, problem_responses
from services.identity.auth import service
from services.identity.auth.errors import InvalidClient, InvalidTokenRequest
from services.identity.auth.schemas import (
    LoginRequest,
    Me,
    RefreshRequest,
    TokenRequest,
    TokenResponse,
)
from services.identity.config import Settings
from services.identity.deps import Db, IdentitySettings, Keys, PendingPasswordSession

router = APIRouter(tags=["auth"])

FORM = "application/x-www-form-urlencoded"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


def source_address(request: Request, settings: Settings) -> str:
    """The client's address: the peer, or what a trusted proxy (the gateway) saw."""
    peer = request.client.host if request.client else "unknown"
    if peer in settings.trusted_proxies:
        chain = request.headers.get("x-forwarded-for")
        if chain:
            return chain.rsplit(",", 1)[-1].strip()[:100] or peer
    return peer


@router.post(
    "/auth/login",
    response_model=TokenResponse,
    responses=problem_responses(401, 403, 422, 429),
)
async def login(
    data: LoginRequest, request: Request, db: Db, keys: Keys, settings: IdentitySettings
) -> TokenResponse:
    """Password login into one tenant (by slug) and one space. `space` may be left out when
    the user has a single space; with several the answer is 422 `space_required`.

    Failed attempts are counted per account and per source address: past a few, each
    attempt must wait (429 `login_throttled` with `Retry-After`), then the account or
    address is locked for a while. A user with a temporary password gets a token that may
    only change the password (`password_change_required: true`)."""
    return await service.login(db, keys, settings, data, source_address(request, settings))


@router.post("/auth/refresh", response_model=TokenResponse, responses=problem_responses(401, 422))
async def refresh_token(
    data: RefreshRequest, db: Db, keys: Keys, settings: IdentitySettings
) -> TokenResponse:
    """Rotate a refresh token: the old one is spent; reusing a spent one revokes its family."""
    return await service.refresh(db, keys, settings, data.refresh_token)


_TOKEN_BODY = {
    "requestBody": {
        "required": True,
        "content": {FORM: {"schema": TokenRequest.model_json_schema()}},
    },
}


async def _token_request(request: Request) -> TokenRequest:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != FORM:
        raise UnsupportedMediaType(f"The token request must be {FORM} (RFC 6749)")
    try:
        pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        raise InvalidTokenRequest("The body cannot be read") from None
    body: dict[str, str] = {}
    for key, value in pairs:
        if key in body:
            raise InvalidTokenRequest(f"Parameter {key} is repeated")
        body[key] = value
    try:
        req = TokenRequest.model_validate(body)
    except ValidationError as exc:
        raise InvalidTokenRequest(f"Invalid token request: {exc.errors()[0]['msg']}") from None
    basic = request.headers.get("authorization", "")
    if basic.lower().startswith("basic "):
        try:
            cid, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidClient("Malformed Basic credentials") from None
        req.client_id, req.client_secret = unquote_plus(cid), unquote_plus(secret)
    return req


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    openapi_extra=_TOKEN_BODY,
    responses=problem_responses(400, 401, 415),
)
async def issue_token(
    request: Request, db: Db, keys: Keys, settings: IdentitySettings
) -> TokenResponse:
    """OAuth 2 token endpoint (RFC 6749, `application/x-www-form-urlencoded`):
    `client_credentials` gives a DEVELOPER token whose permissions are the client's scopes
    (client credentials in the body or as HTTP Basic); `refresh_token` rotates a refresh
    token."""
    req = await _token_request(request)
    if req.grant_type == "refresh_token":
        if not req.refresh_token:
            raise InvalidTokenRequest("refresh_token is required")
        return await service.refresh(db, keys, settings, req.refresh_token)
    if not req.client_id or not req.client_secret:
        raise InvalidClient("client_id and client_secret are required")
    return await service.client_credentials(
        db, keys, settings, req.client_id, req.client_secret, req.scope
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=AUTH_ERRORS)
async def logout(
    data: RefreshRequest, principal: PasswordChangePrincipal, session: PendingPasswordSession
) -> Response:
    """Revoke the refresh token's whole family (every token rotated from the same login)."""
    if principal.user_id is not None:
        await service.logout(session, principal.user_id, principal.tenant_id, data.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me, responses={**AUTH_ERRORS, **problem_responses(404)})
async def get_me(principal: PasswordChangePrincipal, session: PendingPasswordSession) -> Me:
    """Who the token speaks for: user (or API client), tenant, space, roles, permissions
    (tenant-wide, and per plant). Open to a temporary-password token too."""
    return await service.who_am_i(session, principal)
