"""Rules of federation: peers a provider registers, the tenant links it makes with them
(provisioning links a new tenant to the provider's portal peers; a job sends the signed
request and retries with backoff while the peer is down), and what a signed peer may do
here (its mapped local roles; `inbound.py`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.federation import key_id_of, load_public_key
from libs.common.jobs import JobContext
from libs.common.pagination import Page, PageParams
from libs.common.ssrf import UnsafeUrl, check_url
from services.identity.audit.service import record
from services.identity.config import Settings
from services.identity.federation import repository as repo
from services.identity.federation.client import send_signed
from services.identity.federation.errors import (
    InvalidPeerKey,
    LinkNotFound,
    PeerKeyTaken,
    PeerNotFound,
    PeerUnreachable,
    UnknownLocalRole,
    UnsafePeerUrl,
)
from services.identity.federation.inbound import PeerCaller
from services.identity.federation.keys import instance_key
from services.identity.federation.schemas import (
    FederationInstance,
    InboundLink,
    InboundLinkRequest,
    Link,
    Peer,
    PeerCreate,
    PeerGrant,
    PingResult,
)
from services.identity.jobs import jobs
from services.identity.models import FederationLink, FederationPeer, Tenant
from services.identity.users import repository as users_repo

INBOUND = "/federation/inbound"
LINK_RETRIES = 10  # waits 2, 4, 8, ... 1024 s between tries (about 34 min in all)


async def instance(session: AsyncSession, settings: Settings, prefix: str) -> FederationInstance:
    key = await instance_key(session, settings)
    return FederationInstance(
        key_id=key.key_id,
        public_key=key.public_pem,
        inbound_path=f"{prefix}{INBOUND}",
        enabled=settings.federation_enabled,
    )


# --- peers -------------------------------------------------------------------------------


async def create_peer(
    session: AsyncSession, principal: Principal, data: PeerCreate, settings: Settings
) -> Peer:
    try:
        public = load_public_key(data.public_key)
    except ValueError as exc:
        raise InvalidPeerKey(str(exc)) from None
    url = str(data.base_url).rstrip("/")
    try:
        await check_url(url, allow_private=settings.federation_allow_private_urls)
    except UnsafeUrl as exc:
        raise UnsafePeerUrl(str(exc)) from None
    names = list(dict.fromkeys(data.roles))
    found = await users_repo.roles_by_name(session, principal.tenant_id, names)
    missing = [n for n in names if n not in found]
    if missing:
        raise UnknownLocalRole(f"No role {', '.join(missing)} in this tenant")
    peer = FederationPeer(
        tenant_id=principal.tenant_id,
        name=data.name,
        base_url=url,
        key_id=key_id_of(public),
        public_key=data.public_key.strip(),
        roles=names,
        link_tenants=data.link_tenants,
    )
    try:
        async with session.begin_nested():
            await repo.add(session, peer)
    except IntegrityError:
        raise PeerKeyTaken("A peer with this key is already registered here") from None
    await record(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.subject,
        action="federation.peer_registered",
        target=f"federation_peer:{peer.id}",
        details={"name": peer.name, "key_id": peer.key_id, "roles": names},
    )
    return Peer.model_validate(peer)


async def _peer(session: AsyncSession, principal: Principal, peer_id: uuid.UUID) -> FederationPeer:
    peer = await repo.peer(session, principal.tenant_id, peer_id)
    if peer is None:
        raise PeerNotFound("Federation peer not found")
    return peer


async def get_peer(session: AsyncSession, principal: Principal, peer_id: uuid.UUID) -> Peer:
    return Peer.model_validate(await _peer(session, principal, peer_id))


async def list_peers(session: AsyncSession, principal: Principal, page: PageParams) -> Page[Peer]:
    rows, cursor = await repo.peers_page(session, principal.tenant_id, page)
    return Page(items=[Peer.model_validate(r) for r in rows], next_cursor=cursor)


async def delete_peer(session: AsyncSession, principal: Principal, peer_id: uuid.UUID) -> None:
    peer = await _peer(session, principal, peer_id)
    await repo.delete(session, peer)
    await record(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.subject,
        action="federation.peer_removed",
        target=f"federation_peer:{peer.id}",
        details={"name": peer.name, "key_id": peer.key_id},
    )


async def ping_peer(
    session: AsyncSession, principal: Principal, peer_id: uuid.UUID, settings: Settings
) -> PingResult:
    """A signed request to the peer now: what it answers is its view of this instance."""
    peer = await _peer(session, principal, peer_id)
    key = await instance_key(session, settings)
    try:
        resp = await send_signed(
            settings, key, peer.base_url, f"{INBOUND}/ping", {"message": "ping"}
        )
    except httpx.HTTPError as exc:
        raise PeerUnreachable(f"The peer did not answer: {exc}") from None
    await record(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.subject,
        action="federation.ping",
        target=f"federation_peer:{peer.id}",
        details={"status": resp.status_code},
    )
    return PingResult(peer_id=peer.id, status=resp.status_code, answer=_json(resp))


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return resp.text[:2000]


# --- links -------------------------------------------------------------------------------


async def get_link(session: AsyncSession, principal: Principal, link_id: uuid.UUID) -> Link:
    row = await repo.link(session, principal.tenant_id, link_id)
    if row is None:
        raise LinkNotFound("Federation link not found")
    return Link.model_validate(row)


async def list_links(session: AsyncSession, principal: Principal, page: PageParams) -> Page[Link]:
    rows, cursor = await repo.links_page(session, principal.tenant_id, page)
    return Page(items=[Link.model_validate(r) for r in rows], next_cursor=cursor)


async def link_new_tenant(
    session: AsyncSession, settings: Settings, owner_id: uuid.UUID, tenant: Tenant, actor: str
) -> list[uuid.UUID]:
    """Provisioning: link the new tenant to each portal peer of its owner. The link is
    pending until the job's signed request succeeds; the tenant is usable at once."""
    if not settings.federation_enabled:
        return []
    made = []
    for peer in await repo.linking_peers(session, owner_id):
        link = FederationLink(
            tenant_id=owner_id,
            peer_id=peer.id,
            direction="outbound",
            tenant_ref=tenant.id,
            tenant_name=tenant.name,
            status="pending",
            attempts=0,
            details={"slug": tenant.slug, "kind": tenant.kind},
        )
        await repo.add(session, link)
        await send_link.defer(session, tenant_id=owner_id, link_id=str(link.id))
        await record(
            session,
            tenant_id=owner_id,
            actor=actor,
            action="federation.link_requested",
            target=f"tenant:{tenant.id}",
            details={"peer_id": str(peer.id), "link_id": str(link.id)},
        )
        made.append(link.id)
    return made


@jobs.job("identity.federation.link", retries=LINK_RETRIES, backoff=2)
async def send_link(ctx: JobContext, *, link_id: str) -> dict[str, str]:
    """Announce a provisioned tenant to a peer, signed; retried with backoff while the peer
    is down or refuses. Each try is counted on the link; the last failure marks it failed."""
    settings: Settings = ctx.state.settings
    async with ctx.transaction() as session:
        link = await repo.link_for_update(session, uuid.UUID(link_id))
        if link is None or link.status == "linked":
            return {"status": link.status if link else "gone"}
        peer = await repo.peer(session, link.tenant_id, link.peer_id)
        key = await instance_key(session, settings)
        payload = {
            "tenant_id": str(link.tenant_ref),
            "name": link.tenant_name,
            **{k: v for k, v in link.details.items() if k in ("slug", "kind")},
        }
        base_url = peer.base_url if peer else None
    error: str
    if base_url is None:
        error = "the peer was removed"
    else:
        try:
            resp = await send_signed(settings, key, base_url, f"{INBOUND}/links", payload)
        except httpx.HTTPError as exc:
            error = f"unreachable: {type(exc).__name__}: {exc}"
        else:
            if resp.status_code < 300:
                answer = _json(resp)
                remote = answer.get("link_id") if isinstance(answer, dict) else None
                await _finish(ctx, link_id, "linked", None, remote)
                return {"status": "linked"}
            error = f"{resp.status_code}: {resp.text[:500]}"
    final = ctx.is_last_attempt or base_url is None
    await _finish(ctx, link_id, "failed" if final else "pending", error, None)
    if final:
        return {"status": "failed", "error": error}
    raise RuntimeError(f"federation link {link_id} not made yet: {error}")


async def _finish(
    ctx: JobContext, link_id: str, status: str, error: str | None, remote: str | None
) -> None:
    async with ctx.transaction() as session:
        link = await repo.link_for_update(session, uuid.UUID(link_id))
        if link is None:
            return
        link.attempts += 1
        link.status = status
        link.last_error = error
        if status == "linked":
            link.linked_at = datetime.now(UTC)
            link.remote_link_id = uuid.UUID(remote) if remote else None
        await session.flush()
        if status != "pending":
            await record(
                session,
                tenant_id=link.tenant_id,
                actor="system:federation",
                action=f"federation.link_{status}",
                target=f"tenant:{link.tenant_ref}",
                details={
                    "peer_id": str(link.peer_id),
                    "link_id": link_id,
                    "attempts": link.attempts,
                    **({"error": error} if error else {}),
                },
            )


# --- what a signed peer may do here -----------------------------------------------------------


def grant(caller: PeerCaller) -> PeerGrant:
    return PeerGrant(
        peer_id=caller.peer.id,
        subject=caller.subject,
        tenant_id=caller.tenant_id,
        roles=list(caller.roles),
        permissions=list(caller.permissions),
    )


async def receive_link(caller: PeerCaller, data: InboundLinkRequest) -> InboundLink:
    """A peer announces one of its tenants: recorded once (a retry answers the same link)."""
    caller.require("federation:link")
    session = caller.session
    link = await repo.link_by_ref(session, caller.peer.id, "inbound", data.tenant_id)
    if link is None:
        link = FederationLink(
            tenant_id=caller.tenant_id,
            peer_id=caller.peer.id,
            direction="inbound",
            tenant_ref=data.tenant_id,
            tenant_name=data.name,
            status="linked",
            attempts=1,
            linked_at=datetime.now(UTC),
            details={"slug": data.slug, "kind": data.kind},
        )
        await repo.add(session, link)
        await record(
            session,
            tenant_id=caller.tenant_id,
            actor=caller.subject,
            action="federation.link_received",
            target=f"federation_link:{link.id}",
            details={"peer_id": str(caller.peer.id), "remote_tenant_id": str(data.tenant_id)},
        )
    return InboundLink(link_id=link.id, status="linked", tenant_ref=link.tenant_ref)
