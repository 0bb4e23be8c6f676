"""Receiving signed requests from peers: who sent it (the kit verifies the RFC 9421
signature, the digest, the clock and the nonce), and what local policy lets it do.

A verified peer acts as a local subject, `peer:<id>`, in the tenant that registered it,
with the permissions of the local roles that tenant mapped it to. Whatever the peer says
about roles (in its body, its headers, its own instance) is never read."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import permission_matches
from libs.common.context import public_path
from libs.common.db import set_tenant
from libs.common.deps import SystemSession
from libs.common.errors import AppError, MissingPermission
from libs.common.federation import (
    UnknownSigningKey,
    load_public_key,
    remember_nonce,
    signed_key_ids,
    verify_request,
)
from services.identity.config import Settings
from services.identity.federation import repository as repo
from services.identity.federation.errors import FederationDisabled
from services.identity.models import FederationPeer
from services.identity.users import repository as users_repo

log = logging.getLogger("weft.identity.federation")


@dataclass(frozen=True)
class PeerCaller:
    peer: FederationPeer
    roles: tuple[str, ...]
    permissions: tuple[str, ...]
    session: AsyncSession

    @property
    def subject(self) -> str:
        return f"peer:{self.peer.id}"

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.peer.tenant_id

    def require(self, wanted: str) -> None:
        if not any(permission_matches(p, wanted) for p in self.permissions):
            log.warning(
                "federation request refused",
                extra={"peer_id": str(self.peer.id), "code": "missing_permission", "perm": wanted},
            )
            raise MissingPermission(f"The peer's local roles do not grant {wanted}")


async def _local_grant(
    session: AsyncSession, peer: FederationPeer
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    roles = await users_repo.roles_by_name(session, peer.tenant_id, list(peer.roles))
    perms = sorted({p for r in roles.values() for p in r.permissions})
    return tuple(sorted(roles)), tuple(perms)


async def signed_peer(request: Request, session: SystemSession) -> PeerCaller:
    """The dependency of every inbound route: a verified peer, or a 401 (logged)."""
    settings: Settings = request.app.state.settings
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]]
    key_ids = signed_key_ids(headers)
    path = public_path(request.url.path) or request.url.path
    query = request.url.query
    url = f"http://weft{path}" + (f"?{query}" if query else "")
    try:
        if not settings.federation_enabled:
            raise FederationDisabled("This instance does not federate")
        peer = await repo.peer_by_key(session, key_ids[0]) if len(key_ids) == 1 else None

        def public_key(key_id: str) -> Ed25519PublicKey | None:
            if peer is None or key_id != peer.key_id:
                return None
            return load_public_key(peer.public_key)

        verified = verify_request(request.method, url, headers, await request.body(), public_key)
        if peer is None:  # verify_request refuses first; kept for the type checker
            raise UnknownSigningKey("No peer is registered with this key")
        await remember_nonce(session, verified)
    except AppError as exc:
        log.warning(
            "federation request refused",
            extra={
                "code": exc.code,
                "key_ids": key_ids,
                "path": path,
                "client": request.client.host if request.client else None,
            },
        )
        raise
    # From here on the peer's tenant, with row-level security: no longer a system session.
    await set_tenant(session, peer.tenant_id)
    roles, perms = await _local_grant(session, peer)
    log.info(
        "federation request",
        extra={
            "peer_id": str(peer.id),
            "peer": peer.name,
            "key_id": verified.key_id,
            "tenant_id": str(peer.tenant_id),
            "path": path,
            "roles": list(roles),
        },
    )
    return PeerCaller(peer=peer, roles=roles, permissions=perms, session=session)


SignedPeer = Annotated[PeerCaller, Depends(signed_peer)]
