"""One upstream service: its connection pool, its circuit breaker, and the header rules.

Each upstream gets its own aiohttp ClientSession and TCPConnector, so one slow service
cannot use up the connections of the others, and connections are kept alive between
requests (the keep-alive is shorter than uvicorn's, so the gateway never picks a connection
the service is about to close).
"""

from __future__ import annotations

import re
import time

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

# RFC 9110 section 7.6.1 hop-by-hop headers, plus those aiohttp recomputes for the next hop.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "expect",
    }
)
# Headers only the gateway may set: whatever a client sends under these names is dropped.
_GATEWAY_ONLY_PREFIXES = ("x-weft-", "x-principal-", "x-forwarded-")
_GATEWAY_ONLY = frozenset({"forwarded", "x-real-ip", "x-request-id", "traceparent"})

REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
TRACEPARENT = re.compile(r"[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
_DROP_RESPONSE = HOP_BY_HOP | {"x-request-id", "ratelimit", "ratelimit-policy", "server", "date"}


def _connection_tokens(headers: CIMultiDictProxy[str]) -> frozenset[str]:
    value = headers.get("Connection")
    if not value:
        return frozenset()
    return frozenset(t.strip().lower() for t in value.split(",") if t.strip())


def forward_headers(
    incoming: CIMultiDictProxy[str],
    *,
    request_id: str,
    client_ip: str,
    forwarded_for: str | None,
    proto: str,
    host: str,
    prefix: str | None = None,
) -> CIMultiDict[str]:
    """The headers sent upstream: the client's, minus hop-by-hop and gateway-only ones."""
    extra_hop = _connection_tokens(incoming)
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in incoming.items():
        lname = name.lower()
        if (
            lname in HOP_BY_HOP
            or lname in _GATEWAY_ONLY
            or lname.startswith(_GATEWAY_ONLY_PREFIXES)
            or lname in extra_hop
        ):
            continue
        out.add(name, value)
    trace = incoming.get("traceparent")
    if trace is not None and TRACEPARENT.fullmatch(trace):
        out["traceparent"] = trace
    out["X-Request-Id"] = request_id
    out["X-Forwarded-For"] = f"{forwarded_for}, {client_ip}" if forwarded_for else client_ip
    out["X-Forwarded-Proto"] = proto
    out["X-Forwarded-Host"] = host
    if prefix:
        # the public path prefix, so the service's Location and problem instance name the
        # path the client called (/v1/production/lots/...)
        out["X-Forwarded-Prefix"] = prefix
    return out


def response_headers(upstream: CIMultiDictProxy[str]) -> CIMultiDict[str]:
    extra_hop = _connection_tokens(upstream)
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in upstream.items():
        lname = name.lower()
        if lname in _DROP_RESPONSE or lname in extra_hop:
            continue
        out.add(name, value)
    return out


class Circuit:
    """Consecutive connection failures open the circuit for a while; then one probe passes."""

    __slots__ = ("failures", "open_seconds", "opened_at", "threshold")

    def __init__(self, threshold: int, open_seconds: float) -> None:
        self.threshold = threshold
        self.open_seconds = open_seconds
        self.failures = 0
        self.opened_at = 0.0

    def allows(self, now: float) -> bool:
        if self.failures < self.threshold:
            return True
        if now - self.opened_at >= self.open_seconds:
            self.opened_at = now  # half-open: this request probes, the others wait again
            return True
        return False

    def success(self) -> None:
        self.failures = 0

    def failure(self, now: float) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = now


class Upstream:
    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        pool_size: int,
        keepalive: float,
        timeout: float,
        connect_timeout: float,
        circuit_threshold: int,
        circuit_open_seconds: float,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.pool_size = pool_size
        self.keepalive = keepalive
        self.timeout = aiohttp.ClientTimeout(
            total=timeout, sock_connect=connect_timeout, connect=timeout
        )
        # event streams: bounded connect and first byte, then open-ended
        self.stream_timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout, connect=timeout, sock_read=None
        )
        # a streamed upload (a route's own body limit) may take longer than `timeout` to
        # send; the service must still answer within `timeout` of going quiet
        self.upload_timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout, connect=timeout, sock_read=timeout
        )
        self.circuit = Circuit(circuit_threshold, circuit_open_seconds)
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.pool_size,
                limit_per_host=self.pool_size,
                keepalive_timeout=self.keepalive,
                ttl_dns_cache=60,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self.timeout,
                auto_decompress=False,  # bytes pass through with their Content-Encoding
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def now(self) -> float:
        return time.monotonic()
