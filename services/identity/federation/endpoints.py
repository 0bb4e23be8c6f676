"""Federation routes: this instance's key, peers, links (provider admins, bearer token),
and the inbound routes peers call with signed requests (no token: the signature is the
credential; public at the gateway)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.errors import MissingPermission, errors
from libs.common.federation import SIGNATURE_ERRORS
from libs.common.pagination import Page, PageQuery
from services.identity.config import Settings
from services.identity.errors import responses
from services.identity.federation import service
from services.identity.federation.errors import (
    FederationDisabled,
    InvalidPeerKey,
    LinkNotFound,
    PeerKeyTaken,
    PeerNotFound,
    PeerUnreachable,
    UnknownLocalRole,
    UnsafePeerUrl,
)
from services.identity.federation.inbound import SignedPeer
from services.identity.federation.schemas import (
    FederationInstance,
    InboundLink,
    InboundLinkRequest,
    InboundPing,
    Link,
    Peer,
    PeerCreate,
    PeerGrant,
    PingResult,
)

router = APIRouter(tags=["federation"])

Manager = Annotated[Principal, Depends(require(Space.PROVIDER, perm="federation:manage"))]
Reader = Annotated[Principal, Depends(require(Space.PROVIDER, perm="federation:read"))]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


@router.get(
    "/federation/instance",
    response_model=FederationInstance,
    operation_id="get_federation_instance",
    responses=responses(),
)
async def get_federation_instance(
    request: Request, principal: Reader, session: TenantSession
) -> FederationInstance:
    """This instance's federation key: what a peer registers to accept its signed requests."""
    prefix = request.headers.get("x-forwarded-prefix", "")
    return await service.instance(session, _settings(request), prefix)


@router.post(
    "/federation/peers",
    status_code=status.HTTP_201_CREATED,
    response_model=Peer,
    operation_id="create_federation_peer",
    responses=responses(PeerKeyTaken, InvalidPeerKey, UnsafePeerUrl, UnknownLocalRole),
)
async def create_federation_peer(
    data: PeerCreate, request: Request, principal: Manager, session: TenantSession
) -> Peer:
    """Link to a peer instance: its address, its public key, and the local roles its
    signed requests act with here."""
    return await service.create_peer(session, principal, data, _settings(request))


@router.get(
    "/federation/peers",
    response_model=Page[Peer],
    operation_id="list_federation_peers",
    responses=responses(),
)
async def list_federation_peers(
    principal: Reader, session: TenantSession, page: PageQuery
) -> Page[Peer]:
    return await service.list_peers(session, principal, page)


@router.get(
    "/federation/peers/{peer_id}",
    response_model=Peer,
    operation_id="get_federation_peer",
    responses=responses(PeerNotFound),
)
async def get_federation_peer(
    peer_id: uuid.UUID, principal: Reader, session: TenantSession
) -> Peer:
    return await service.get_peer(session, principal, peer_id)


@router.delete(
    "/federation/peers/{peer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_federation_peer",
    responses=responses(PeerNotFound),
)
async def delete_federation_peer(
    peer_id: uuid.UUID, principal: Manager, session: TenantSession
) -> Response:
    """Unlink: its signed requests are refused from now on (unknown key)."""
    await service.delete_peer(session, principal, peer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/federation/peers/{peer_id}/ping",
    response_model=PingResult,
    operation_id="ping_federation_peer",
    responses=responses(PeerNotFound, PeerUnreachable),
)
async def ping_federation_peer(
    peer_id: uuid.UUID, request: Request, principal: Manager, session: TenantSession
) -> PingResult:
    """Send the peer a signed request now; answers what the peer's local policy grants
    this instance there."""
    return await service.ping_peer(session, principal, peer_id, _settings(request))


@router.get(
    "/federation/links",
    response_model=Page[Link],
    operation_id="list_federation_links",
    responses=responses(),
)
async def list_federation_links(
    principal: Reader, session: TenantSession, page: PageQuery
) -> Page[Link]:
    """Tenants linked with peers: provisioned here and announced (outbound), or announced
    by a peer (inbound)."""
    return await service.list_links(session, principal, page)


@router.get(
    "/federation/links/{link_id}",
    response_model=Link,
    operation_id="get_federation_link",
    responses=responses(LinkNotFound),
)
async def get_federation_link(
    link_id: uuid.UUID, principal: Reader, session: TenantSession
) -> Link:
    return await service.get_link(session, principal, link_id)


_SIGNED = errors(*SIGNATURE_ERRORS, FederationDisabled)


@router.post(
    "/federation/inbound/ping",
    response_model=PeerGrant,
    operation_id="receive_federation_ping",
    responses=_SIGNED,
)
async def receive_federation_ping(data: InboundPing, caller: SignedPeer) -> PeerGrant:
    """Signed (RFC 9421) by a registered peer: answers who the peer is here and what its
    local roles grant (never what it claims)."""
    return service.grant(caller)


@router.post(
    "/federation/inbound/links",
    response_model=InboundLink,
    operation_id="receive_federation_link",
    responses=errors(*SIGNATURE_ERRORS, FederationDisabled, MissingPermission),
)
async def receive_federation_link(data: InboundLinkRequest, caller: SignedPeer) -> InboundLink:
    """Signed by a registered peer whose local roles grant `federation:link`: a tenant of
    the peer is linked to this instance's registering tenant (idempotent)."""
    return await service.receive_link(caller, data)
