"""SSRF guard: URLs a tenant gives us may only reach public addresses (unless allowed for
dev/test). Sync's webhook endpoints and partner's golden-run targets use it.

Checked when the URL is saved, and again at every request: through an aiohttp resolver that
drops non-public addresses after DNS resolution (sync's delivery), or an httpx transport that
checks each request's host before sending (partner's runs), so a name that later resolves to
127.0.0.1 or 169.254.169.254 (DNS rebinding) is refused when it is used.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver


class UnsafeUrl(ValueError):
    pass


def is_public_ip(value: str) -> bool:
    try:
        ip = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def check_url_shape(url: str, *, allow_private: bool) -> tuple[str, int]:
    """Scheme and host rules that need no network; returns (host, port)."""
    parts = urlsplit(url)
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeUrl(f"The URL scheme must be {' or '.join(allowed)}")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("The URL must not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl("The URL port is not valid") from None
    return parts.hostname, port


async def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL whose host is, or resolves to, a non-public address."""
    host, port = check_url_shape(url, allow_private=allow_private)
    if allow_private:
        return
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError:
            raise UnsafeUrl(f"The host {host} does not resolve") from None
        addresses = [str(info[4][0]) for info in infos]
    bad = [a for a in addresses if not is_public_ip(a)]
    if bad or not addresses:
        raise UnsafeUrl(f"The host {host} resolves to a non-public address")


class PublicOnlyResolver(AbstractResolver):
    """aiohttp resolver that only returns public addresses (the connect-time check)."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        infos = await self._inner.resolve(host, port, family)
        safe = [i for i in infos if is_public_ip(str(i["host"]))]
        if not safe:
            raise OSError(f"{host} resolves to a non-public address")
        return safe

    async def close(self) -> None:
        await self._inner.close()


def literal_ip_blocked(url: str) -> bool:
    """aiohttp skips the resolver for IP literals, so those are checked before sending."""
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return not is_public_ip(host)


class GuardedTransport(httpx.AsyncBaseTransport):
    """httpx transport that refuses a request whose host is, or resolves to, a non-public
    address (checked per request, so a redirect or a re-resolved name is caught too)."""

    def __init__(self, *, allow_private: bool, inner: httpx.AsyncBaseTransport | None = None):
        self._allow_private = allow_private
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            await check_url(str(request.url), allow_private=self._allow_private)
        except UnsafeUrl as exc:
            raise httpx.ConnectError(f"refused by the SSRF guard: {exc}", request=request) from None
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
