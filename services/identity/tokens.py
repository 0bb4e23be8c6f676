"""Access tokens: ES256 JWTs with the claims of ARCHITECTURE.md section 3."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from jose import jwt

from services.identity.config import Settings
from services.identity.keys import KeyStore


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


async def issue_access_token(
    keystore: KeyStore,
    settings: Settings,
    *,
    subject: str,
    tenant_id: uuid.UUID,
    parent_tenant_id: uuid.UUID | None,
    space: str,
    roles: list[str],
    permissions: list[str],
    plant_permissions: dict[uuid.UUID, list[str]] | None = None,
    password_change: bool = False,
    client_id: str | None = None,
    actor: dict[str, Any] | None = None,
    elevation: dict[str, Any] | None = None,
    ttl: int | None = None,
    org: tuple[uuid.UUID, str] | None = None,
) -> IssuedToken:
    key = await keystore.current()
    now = int(time.time())
    ttl = min(ttl, settings.access_token_ttl_seconds) if ttl else settings.access_token_ttl_seconds
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        "tid": str(tenant_id),
        "space": space,
        "roles": sorted(roles),
        "perms": sorted(permissions),
        "act": actor,
        "elev": elevation,
    }
    if plant_permissions:
        claims["plant_perms"] = {str(p): sorted(perms) for p, perms in plant_permissions.items()}
    if password_change:
        # A temporary password: the token may only change it (libs.common.deps refuses the
        # rest), and carries no role or permission in case a verifier forgets to look.
        claims["pwd_change"] = True
        claims["roles"], claims["perms"] = [], []
        claims.pop("plant_perms", None)
    if parent_tenant_id is not None:
        claims["ptid"] = str(parent_tenant_id)
    if client_id is not None:
        claims["client_id"] = client_id
    if org is not None:
        # the catalog organisation a client tenant acts as (services.identity.orglinks)
        claims["org_id"], claims["org_type"] = str(org[0]), org[1]
    assert key.private_pem is not None
    token = jwt.encode(claims, key.private_pem, algorithm="ES256", headers={"kid": key.kid})
    return IssuedToken(token, ttl)
