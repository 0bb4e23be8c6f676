from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.errors import ImpersonationForbidden
from services.identity.deps import Db, IdentitySettings, Keys
from services.identity.errors import responses
from services.identity.signing import service
from services.identity.signing.runtime import refresh_verifier
from services.identity.tenants.errors import NotOperator

router = APIRouter(tags=["keys"])


@router.get("/.well-known/jwks.json")
async def get_jwks(keys: Keys, response: Response) -> dict[str, Any]:
    """The public signing keys: the current one and the previous one."""
    response.headers["Cache-Control"] = "public, max-age=60"
    return await keys.jwks()


@router.post("/admin/keys/rotate", responses=responses(NotOperator, ImpersonationForbidden))
async def rotate_signing_key(
    principal: Annotated[
        Principal,
        Depends(require(Space.PROVIDER, perm="keys:rotate", impersonation=False)),
    ],
    session: TenantSession,
    db: Db,
    keys: Keys,
    settings: IdentitySettings,
    request: Request,
) -> dict[str, str]:
    """Operator ADMIN only: a new key becomes current, the old one stays published as
    previous, older ones are removed."""
    kid = await service.rotate(session, db, settings, principal)
    await keys.load()
    refresh_verifier(request.app)
    return {"kid": kid}
