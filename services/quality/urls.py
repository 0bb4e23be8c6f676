"""Absolute URLs as the caller reached us: through the gateway (X-Forwarded-Host, under
/v1/quality) or straight at the service; the gateway's root (GS1 Digital Link) from the
settings' public base URL when set."""

from __future__ import annotations

from fastapi import Request

GATEWAY_PREFIX = "/v1/quality"


def public_base(request: Request) -> str:
    host = request.headers.get("x-forwarded-host")
    if host:
        proto = request.headers.get("x-forwarded-proto", "http")
        return f"{proto}://{host}{GATEWAY_PREFIX}"
    return str(request.base_url).rstrip("/")


def public_root(request: Request) -> str:
    """Where Digital Link URIs live: the gateway's root (this service's own root when it is
    called directly, which serves the same path)."""
    configured = request.app.state.settings.public_base_url
    if configured:
        return str(configured).rstrip("/")
    host = request.headers.get("x-forwarded-host")
    if host:
        return f"{request.headers.get('x-forwarded-proto', 'http')}://{host}"
    return str(request.base_url).rstrip("/")


def public_host(request: Request) -> str:
    return request.headers.get("x-forwarded-host") or request.url.netloc
