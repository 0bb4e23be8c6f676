"""Break-glass and impersonation at request time, for every service.

An elevated token (`elev: {id, scopes, exp, tid}`) lives at most the access-token TTL, but
its elevation can be revoked sooner: the extra scopes count only while identity says the
elevation is active. `settle_elevation` asks, only for tokens that carry `elev` or `act`
(every other request pays nothing), through `app.state.elevations`:

- services: `HttpElevationStatus`, `GET <identity>/elevations/{id}/status` with the
  caller's own token, the answer cached `elevation_status_ttl_seconds` (default 5) per
  elevation, so a revocation holds everywhere within that time;
- identity: its own source, which reads the row (identity is the authority).

Fail closed: when identity cannot say, an elevated token keeps its base permissions only,
and an impersonation token (`act`, always issued under an elevation) is refused (503).

An impersonation token (`act: {"sub": <real actor>}`, RFC 8693) sets `impersonator_var`
for the request: `Sensitive` fields are masked in responses, and audit records name both.
Routes an impersonator must never call take `require(..., impersonation=False)`.

A permission decided by the elevation's scopes is a use: `Principal.elevation_uses` lists
them, and the request's session records them before commit (`record_elevation_use`, with
the app's `elevation_use_recorder` when it has one; a log line otherwise).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Annotated, Any, Literal, Protocol

import httpx
from pydantic import PlainSerializer
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from libs.common.auth import Principal
from libs.common.errors import InvalidToken, ServiceUnavailable

log = logging.getLogger("weft.elevation")

Status = Literal["active", "ended", "unknown"]
ACTIVE: Status = "active"
ENDED: Status = "ended"
UNKNOWN: Status = "unknown"

# The real actor of the current request when it runs on an impersonation token.
impersonator_var: ContextVar[str | None] = ContextVar("weft_impersonator", default=None)


class ElevationUnconfirmed(ServiceUnavailable):
    code, title = "elevation_unconfirmed", "The elevation could not be confirmed"


class ElevationStatus(Protocol):
    async def status(self, principal: Principal, token: str) -> Status: ...


class HttpElevationStatus:
    """Identity's answer for an elevation, cached per elevation for `ttl` seconds (an
    `unknown` for at most one second, so a short outage is retried soon)."""

    def __init__(
        self, base_url: str, *, ttl: float = 5.0, timeout: float = 2.0, max_entries: int = 10_000
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)
        self._cache: dict[str, tuple[Status, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def close(self) -> None:
        await self._http.aclose()

    def _cached(self, eid: str) -> Status | None:
        hit = self._cache.get(eid)
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    async def status(self, principal: Principal, token: str) -> Status:
        eid = principal.elevation_id
        if eid is None:
            return ENDED
        cached = self._cached(eid)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(eid, asyncio.Lock())
        async with lock:  # one question to identity per elevation at a time
            cached = self._cached(eid)
            if cached is not None:
                return cached
            answer = await self._ask(eid, token)
            if len(self._cache) >= self.max_entries:
                self._cache.clear()
            ttl = self.ttl if answer != UNKNOWN else min(self.ttl, 1.0)
            self._cache[eid] = (answer, time.monotonic() + ttl)
        self._locks.pop(eid, None)
        return answer

    async def _ask(self, eid: str, token: str) -> Status:
        try:
            resp = await self._http.get(
                f"/elevations/{eid}/status", headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as exc:
            log.warning(
                "elevation status unavailable", extra={"elevation_id": eid, "error": str(exc)}
            )
            return UNKNOWN
        if resp.status_code == 200:
            try:
                return ACTIVE if resp.json().get("status") == ACTIVE else ENDED
            except ValueError:
                return UNKNOWN
        # identity refuses the token or does not know the elevation: it grants nothing
        if resp.status_code in (401, 403, 404):
            return ENDED
        log.warning(
            "elevation status unavailable",
            extra={"elevation_id": eid, "status": resp.status_code},
        )
        return UNKNOWN


def identity_base_url(settings: Any) -> str:
    """Identity's base URL: the service's `identity_url`, else its JWKS URL's origin (the
    JWKS is identity's by contract)."""
    url = getattr(settings, "identity_url", None)
    if isinstance(url, str) and url:
        return url
    jwks: str = settings.jwks_url
    return jwks.removesuffix("/.well-known/jwks.json")


async def settle_elevation(state: Any, principal: Principal, token: str) -> Principal:
    """The principal this request acts as (see the module's docstring)."""
    source: ElevationStatus | None = getattr(state, "elevations", None)
    status = await source.status(principal, token) if source is not None else UNKNOWN
    if principal.actor is not None:
        if principal.elevation is None or status == ENDED:
            raise InvalidToken("The elevation this impersonation ran under has ended")
        if status == UNKNOWN:
            raise ElevationUnconfirmed(
                "Identity could not confirm the elevation this impersonation runs under",
                headers={"Retry-After": "1"},
            )
        impersonator_var.set(principal.actor_subject)
        return principal
    if status == ACTIVE:
        return dataclasses.replace(principal, elevation_uses=set())
    log.info(
        "elevation not honoured",
        extra={"elevation_id": principal.elevation_id, "status": status},
    )
    return dataclasses.replace(principal, elevation=None)


ElevationUseRecorder = Callable[[AsyncSession, Principal, Request], Awaitable[None]]


async def record_elevation_use(
    session: AsyncSession, principal: Principal, request: Request
) -> None:
    """The request's elevated permissions, in its own transaction: the app's recorder
    (identity writes an audit row), else a structured log line."""
    recorder: ElevationUseRecorder | None = getattr(
        request.app.state, "elevation_use_recorder", None
    )
    if recorder is not None:
        await recorder(session, principal, request)
        return
    log.info(
        "elevation.used",
        extra={
            "elevation_id": principal.elevation_id,
            "subject": principal.subject,
            "tenant_id": str(principal.tenant_id),
            "permissions": sorted(principal.elevation_uses or ()),
            "method": request.method,
            "path": request.url.path,
        },
    )


# --- masking -----------------------------------------------------------------------------


def mask(value: str) -> str:
    """`value` as an impersonator sees it: an email keeps its first letter and its domain,
    any other text its first letter."""
    if not value or impersonator_var.get() is None:
        return value
    local, at, domain = value.partition("@")
    if at:
        return f"{local[:1]}***@{domain}"
    return f"{value[:1]}***"


# A response field an impersonator sees masked (`email: Sensitive`). Response models only:
# a request body dumped for storage with it would store the masked value.
Sensitive = Annotated[str, PlainSerializer(mask, return_type=str)]
