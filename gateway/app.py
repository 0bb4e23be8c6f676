"""The gateway: the one public entry (ARCHITECTURE.md section 4), on aiohttp.

Hot path of `/v1/<service>/<rest>`, in order: request id, route lookup (unknown service,
`/internal/...` -> 404), token and space check (libs.common.auth, verified tokens cached
until they expire), rate limit, then one request to the service over a kept-alive pooled
connection, answered as it came back plus `X-Request-Id` and the RateLimit headers.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import aiohttp
from aiohttp import web
from yarl import URL

from gateway.audit import AuditShipper
from gateway.config import Settings
from gateway.openapi import SWAGGER_UI, OpenAPIAggregator
from gateway.problems import from_error, problem
from gateway.ratelimit import Policy, make_limiter
from gateway.routes import RouteTable, load_table
from gateway.server import run
from gateway.upstream import REQUEST_ID, Upstream, forward_headers, response_headers
from libs.common.auth import JWKSCache, Principal, Space, TokenVerifier, bearer_token
from libs.common.errors import (
    BadUpstreamResponse,
    Unauthorized,
    UpstreamDisconnected,
    UpstreamTimeout,
    UpstreamUnavailable,
    UpstreamUnreachable,
)
from libs.common.heap import settle_startup_heap
from libs.common.logs import configure_logging, request_id_var

log = logging.getLogger("weft.gateway")
access_log = logging.getLogger("weft.access")

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?")


def _request_id(request: web.Request) -> str:
    """The caller's X-Request-Id when it is sane (length, charset), else a new one."""
    rid = request.headers.get("X-Request-Id")
    if rid is None or REQUEST_ID.fullmatch(rid) is None:
        return uuid.uuid4().hex
    return rid


def _json(request: web.Request) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Request-Id": _request_id(request)}


class BodyStream:
    """A request body passed to the upstream as it arrives, never held whole, up to `limit`
    bytes: past it the upload to the upstream is broken off and `over` is set (the caller
    then answers 413)."""

    def __init__(self, content: aiohttp.StreamReader, limit: int) -> None:
        self.content, self.limit, self.size, self.over = content, limit, 0, False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        async for chunk in self.content.iter_chunked(256 * 1024):
            self.size += len(chunk)
            if self.size > self.limit:
                self.over = True
                raise web.HTTPRequestEntityTooLarge(max_size=self.limit, actual_size=self.size)
            yield chunk


class Gateway:
    def __init__(
        self,
        settings: Settings,
        table: RouteTable | None = None,
        verifier: TokenVerifier | None = None,
    ) -> None:
        self.settings = settings
        self.table = table or load_table(settings.routes_file)
        self.jwks = JWKSCache(settings.jwks_url)
        self.verifier = verifier or TokenVerifier(
            self.jwks,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway=settings.jwt_leeway_seconds,
        )
        self.upstreams: dict[str, Upstream] = {}
        for name, url in settings.service_urls.items():
            if self.table.service(name) is None:
                log.warning("service has no route rules; not exposed", extra={"svc": name})
                continue
            self.upstreams[name] = Upstream(
                name,
                url,
                pool_size=settings.upstream_pool_size,
                keepalive=settings.upstream_keepalive_seconds,
                timeout=settings.upstream_timeout_seconds,
                connect_timeout=settings.upstream_connect_timeout_seconds,
                circuit_threshold=settings.circuit_failure_threshold,
                circuit_open_seconds=settings.circuit_open_seconds,
            )
        window = settings.rate_limit_window_seconds
        self.limits_on = settings.rate_limit_enabled
        self.tenant_policy = Policy("tenant", settings.rate_limit_tenant, window)
        self.client_policy = Policy("client", settings.rate_limit_client, window)
        self.ip_policy = Policy("ip", settings.rate_limit_ip, window)
        self.limiter = make_limiter(settings.redis_url)
        self.openapi = OpenAPIAggregator(
            {n: u.base_url for n, u in self.upstreams.items()},
            self.table,
            refresh_seconds=settings.openapi_refresh_seconds,
            timeout=settings.openapi_fetch_timeout_seconds,
        )
        self._tasks: list[asyncio.Task[Any]] = []
        self.audit = AuditShipper(
            {n: u.base_url for n, u in self.upstreams.items()},
            settings.audit_secret,
            flush_seconds=settings.audit_flush_seconds,
        )

    # --- lifecycle ---------------------------------------------------------------------
    async def on_startup(self, app: web.Application) -> None:
        self._tasks.append(asyncio.create_task(self._warm_jwks()))
        self._tasks.append(asyncio.create_task(self.openapi.warm()))
        self.audit.start()
        settle_startup_heap()

    async def on_cleanup(self, app: web.Application) -> None:
        for task in self._tasks:
            task.cancel()
        await self.openapi.close()
        await self.audit.close()
        await self.limiter.close()
        for upstream in self.upstreams.values():
            await upstream.close()

    async def _warm_jwks(self) -> None:
        """Fetch the keys once early; identity may still be starting, so retry for a while."""
        delay = 0.25
        for _ in range(30):
            try:
                await self.jwks.refresh()
                return
            except Exception as exc:  # any failure: retry; requests fetch on demand anyway
                log.debug("jwks not ready", extra={"error": repr(exc)})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    # --- helpers -----------------------------------------------------------------------
    def _client_ip(self, request: web.Request) -> tuple[str, str | None]:
        """(address the limits use, X-Forwarded-For chain to extend)."""
        remote = request.remote or "unknown"
        if self.settings.trust_forwarded_for:
            chain = request.headers.get("X-Forwarded-For")
            if chain:
                return chain.rsplit(",", 1)[-1].strip() or remote, chain
        return remote, None

    # --- the hot path ------------------------------------------------------------------
    async def proxy(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        rid = _request_id(request)
        response = await self._proxy(request, rid)
        if self.settings.access_log or response.status >= 500:
            token = request_id_var.set(rid)
            access_log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)
        return response

    async def _proxy(self, request: web.Request, rid: str) -> web.StreamResponse:
        raw_path, sep, query = request.raw_path.partition("?")
        instance = raw_path
        if raw_path.startswith("/v1/"):
            service, _, tail = raw_path[4:].partition("/")  # after "/v1/"
            prefix: str | None = f"/v1/{service}"
        else:
            # a public root route (GS1 Digital Link): the service at the same path
            root = self.table.root_service(
                request.method, unquote(raw_path) if "%" in raw_path else raw_path
            )
            if root is None:
                return await self.not_found(request)
            service, tail, prefix = root, raw_path[1:], None
        upstream = self.upstreams.get(service)
        routes = self.table.service(service)
        if upstream is None or routes is None:
            return problem(
                404,
                "unknown_service",
                f"No service named {service!r}",
                instance=instance,
                request_id=rid,
                title="Not found",
            )
        tail = "/" + tail
        path = unquote(tail) if "%" in tail else tail
        segments = path.split("/")
        if "." in segments or ".." in segments:
            return problem(
                400,
                "invalid_path",
                "Dot segments are not allowed in paths",
                instance=instance,
                request_id=rid,
            )
        if next((s for s in segments if s), "") == "internal":
            return problem(404, "not_found", "Not found", instance=instance, request_id=rid)
        method = request.method
        access = routes.access(method, path)
        if prefix is None and not access.public:  # a root route is public or nothing
            return problem(404, "not_found", "Not found", instance=instance, request_id=rid)
        ip, chain = self._client_ip(request)

        principal: Principal | None = None
        if access.public:
            checks = [(self.ip_policy, "ip:" + ip)]
        else:
            try:
                token = bearer_token(request.headers.get("Authorization"))
                principal = await self.verifier.verify(token)
            except Unauthorized as exc:
                if self.limits_on:
                    # failed attempts cost the caller's address, so guessing is bounded too
                    outcome = await self.limiter.take([(self.ip_policy, "ip:" + ip)])
                    if not outcome.allowed:
                        return self._too_many(outcome, instance, rid)
                return from_error(exc, instance=instance, request_id=rid)
            if principal.space not in access.spaces:
                self.audit.record(
                    service,
                    principal,
                    method=method,
                    path=f"/v1/{service}{path}",
                    status=403,
                    code="wrong_space",
                    request_id=rid,
                )
                return problem(
                    403,
                    "wrong_space",
                    f"{method} /v1/{service}{path} is not open to the {principal.space} space",
                    instance=instance,
                    request_id=rid,
                    title="Forbidden",
                )
            checks = [(self.tenant_policy, "tenant:" + str(principal.claims["tid"]))]
            if principal.space is Space.DEVELOPER:
                checks.append(
                    (self.client_policy, "client:" + (principal.client_id or principal.subject))
                )
        limit_headers: dict[str, str] | None = None
        if self.limits_on:
            outcome = await self.limiter.take(checks)
            if not outcome.allowed:
                if principal is not None:
                    self.audit.record(
                        service,
                        principal,
                        method=method,
                        path=f"/v1/{service}{path}",
                        status=429,
                        code="rate_limited",
                        request_id=rid,
                    )
                return self._too_many(outcome, instance, rid)
            limit_headers = outcome.headers()

        max_body = routes.max_body_bytes(method, path) or self.settings.max_body_bytes
        if request.content_length is not None and request.content_length > max_body:
            return self._too_large(instance, rid, max_body)
        body: Any = None
        if max_body > self.settings.max_body_bytes and request.body_exists:
            body = BodyStream(request.content, max_body)  # a route's own, larger limit
        else:
            try:
                body = await request.read() if request.body_exists else None
            except web.HTTPRequestEntityTooLarge:
                return self._too_large(instance, rid, max_body)

        headers = forward_headers(
            request.headers,
            request_id=rid,
            client_ip=ip,
            forwarded_for=chain,
            proto=request.scheme,
            host=request.host,
            prefix=prefix,
        )
        url = URL(upstream.base_url + tail + (sep + query if sep else ""), encoded=True)
        now = time.monotonic()
        if not upstream.circuit.allows(now):
            return problem(
                503,
                UpstreamUnavailable.code,
                f"The {service} service is unavailable; retry shortly",
                instance=instance,
                request_id=rid,
                headers={**(limit_headers or {}), "Retry-After": "5"},
            )
        if "text/event-stream" in request.headers.get("Accept", ""):
            return await self._stream(request, upstream, url, headers, body, limit_headers, rid)
        streamed = isinstance(body, BodyStream)
        answer = await self._forward(
            upstream, method, url, headers, body, instance, limit_headers, rid
        )
        if streamed and body.over:
            return self._too_large(instance, rid, max_body)
        return answer

    async def _forward(
        self,
        upstream: Upstream,
        method: str,
        url: URL,
        headers: Any,
        body: Any,
        instance: str,
        limit_headers: dict[str, str] | None,
        rid: str,
    ) -> web.Response:
        """The upstream's answer, or a problem when it fails; an idempotent request that
        meets a connection closed under it is sent again (a streamed body cannot be)."""
        service = upstream.name
        options: dict[str, Any] = {}
        attempts = 2 if method in _IDEMPOTENT else 1
        if isinstance(body, BodyStream):
            options["timeout"], attempts = upstream.upload_timeout, 1
        for attempt in range(attempts):
            try:
                async with upstream.session.request(
                    method, url, headers=headers, data=body, allow_redirects=False, **options
                ) as resp:
                    payload = await resp.read()
                    out = response_headers(resp.headers)
                    status = resp.status
                upstream.circuit.success()
                break
            except TimeoutError:
                upstream.circuit.failure(time.monotonic())
                return problem(
                    504,
                    UpstreamTimeout.code,
                    f"The {service} service did not answer in time",
                    instance=instance,
                    request_id=rid,
                    headers=limit_headers,
                )
            except aiohttp.ClientConnectorError:
                upstream.circuit.failure(time.monotonic())
                return problem(
                    502,
                    UpstreamUnreachable.code,
                    f"The {service} service cannot be reached",
                    instance=instance,
                    request_id=rid,
                    headers=limit_headers,
                )
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                # a kept-alive connection closed under us: safe to retry idempotent methods
                if attempt + 1 < attempts:
                    continue
                return problem(
                    502,
                    UpstreamDisconnected.code,
                    f"The {service} service closed the connection",
                    instance=instance,
                    request_id=rid,
                    headers=limit_headers,
                )
            except aiohttp.ClientError as exc:
                return problem(
                    502,
                    BadUpstreamResponse.code,
                    f"The {service} service answered badly: {type(exc).__name__}",
                    instance=instance,
                    request_id=rid,
                    headers=limit_headers,
                )
        out["X-Request-Id"] = rid
        if limit_headers:
            out.update(limit_headers)
        return web.Response(body=payload, status=status, headers=out)

    async def _stream(
        self,
        request: web.Request,
        upstream: Upstream,
        url: URL,
        headers: Any,
        body: bytes | None,
        limit_headers: dict[str, str] | None,
        rid: str,
    ) -> web.StreamResponse:
        """Server-sent events (a live feed): passed through as they come, without the total
        timeout; only connecting and the wait for the response head are bounded."""
        instance = request.path
        try:
            async with asyncio.timeout(self.settings.upstream_timeout_seconds):
                resp = await upstream.session.request(
                    request.method,
                    url,
                    headers=headers,
                    data=body,
                    allow_redirects=False,
                    timeout=upstream.stream_timeout,
                )
        except TimeoutError:
            return problem(
                504,
                UpstreamTimeout.code,
                f"The {upstream.name} service did not answer in time",
                instance=instance,
                request_id=rid,
                headers=limit_headers,
            )
        except aiohttp.ClientError:
            upstream.circuit.failure(time.monotonic())
            return problem(
                502,
                UpstreamUnreachable.code,
                f"The {upstream.name} service cannot be reached",
                instance=instance,
                request_id=rid,
                headers=limit_headers,
            )
        upstream.circuit.success()
        try:
            out = response_headers(resp.headers)
            out["X-Request-Id"] = rid
            if limit_headers:
                out.update(limit_headers)
            answer = web.StreamResponse(status=resp.status, headers=out)
            await answer.prepare(request)
            async for chunk in resp.content.iter_any():
                await answer.write(chunk)
            await answer.write_eof()
            return answer
        except (aiohttp.ClientError, ConnectionResetError, TimeoutError):
            return answer  # one side went away mid-stream: nothing more to say
        finally:
            resp.release()

    def _too_many(self, outcome: Any, instance: str, rid: str) -> web.Response:
        return problem(
            429,
            "rate_limited",
            "Too many requests; retry after the given delay",
            instance=instance,
            request_id=rid,
            title="Too many requests",
            headers=outcome.headers(),
        )

    def _too_large(self, instance: str, rid: str, limit: int) -> web.Response:
        return problem(
            413,
            "payload_too_large",
            f"The request body exceeds {limit} bytes",
            instance=instance,
            request_id=rid,
            title="Payload too large",
        )

    # --- the gateway's own routes ------------------------------------------------------
    async def healthz(self, request: web.Request) -> web.Response:
        return web.Response(body=b'{"status":"ok"}', headers=_json(request))

    async def readyz(self, request: web.Request) -> web.Response:
        return web.Response(body=b'{"status":"ready"}', headers=_json(request))

    async def openapi_json(self, request: web.Request) -> web.Response:
        server = self.settings.public_url
        if server is None:
            host = request.host if _HOST.fullmatch(request.host) else "localhost"
            server = f"{request.scheme}://{host}"
        return web.Response(
            body=await self.openapi.document(server.rstrip("/") or "/"), headers=_json(request)
        )

    async def docs(self, request: web.Request) -> web.Response:
        headers = {"Content-Type": "text/html; charset=utf-8", "X-Request-Id": _request_id(request)}
        return web.Response(text=SWAGGER_UI, headers=headers)

    async def not_found(self, request: web.Request) -> web.Response:
        rid = _request_id(request)
        return problem(
            404, "not_found", f"No route for {request.path}", instance=request.path, request_id=rid
        )


def create_app(settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    gw = Gateway(settings)
    # a little over the body limit, so our own check answers with problem+json first
    app = web.Application(client_max_size=settings.max_body_bytes + 1)
    app["gateway"] = gw
    app.on_startup.append(gw.on_startup)
    app.on_cleanup.append(gw.on_cleanup)
    app.router.add_get("/healthz", gw.healthz)
    app.router.add_get("/readyz", gw.readyz)
    app.router.add_get("/openapi.json", gw.openapi_json)
    app.router.add_get("/docs", gw.docs)
    app.router.add_route("*", r"/v1/{tail:[\s\S]*}", gw.proxy)  # a newline too
    # everything else: the public root routes of the table (Digital Link), else 404
    app.router.add_route("*", r"/{tail:[\s\S]*}", gw.proxy)
    return app


def main() -> None:
    settings = Settings()
    configure_logging("gateway", settings.log_level)
    log.info(
        "gateway starting", extra={"port": settings.port, "services": sorted(settings.service_urls)}
    )
    run(
        create_app(settings),
        host=settings.bind_host,
        port=settings.port,
        max_header_line=settings.max_header_line_bytes,
    )
