from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.errors import AUTH_ERRORS, Forbidden
from services.identity import keys as signing
from services.identity.audit.service import record
from services.identity.deps import Db, IdentitySettings, Keys
from services.identity.models import Tenant
from services.identity.signing.runtime import refresh_verifier

router = APIRouter(tags=["keys"])


@router.get("/.well-known/jwks.json")
async def get_jwks(keys: Keys, response: Response) -> dict[str, Any]:
    """The public signing keys: the current one and the previous one."""
    response.headers["Cache-Control"] = "public, max-age=60"
    return await keys.jwks()


@router.post("/admin/keys/rotate", responses=AUTH_ERRORS)
async def rotate_signing_key(
    principal: Annotated[Principal, Depends(require(Space.PROVIDER, perm="keys:rotate"))],
    session: TenantSession,
    db: Db,
    keys: Keys,
    settings: IdentitySettings,
    request: Request,
) -> dict[str, str]:
    """Operator ADMIN only: a new key becomes current, the old one stays published as
    previous, older ones are removed."""
    tenant = await session.get(Tenant, principal.tenant_id)
    if tenant is None or tenant.kind != "operator":
        raise Forbidden("Only the platform operator rotates keys", code="not_operator")
    async with db.transaction(system=True) as s:
        kid = await signing.rotate(s, settings)
        await record(
            s,
            tenant_id=tenant.id,
            actor=principal.subject,
            action="keys.rotated",
            target=f"key:{kid}",
        )
    await keys.load()
    refresh_verifier(request.app)
    return {"kid": kid}
