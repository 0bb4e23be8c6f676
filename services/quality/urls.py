"""Absolute URLs as the caller reached us: through the gateway (X-Forwarded-Host, under
/v1/quality) or straight at the service."""

from __future__ import annotations

from fastapi import Request

GATEWAY_PREFIX = "/v1/quality"


def public_base(request: Request) -> str:
    host = request.headers.get("x-forwarded-host")
    if host:
        proto = request.headers.get("x-forwarded-proto", "http")
        return f"{proto}://{host}{GATEWAY_PREFIX}"
    return str(request.base_url).rstrip("/")


def public_host(request: Request) -> str:
    return request.headers.get("x-forwarded-host") or request.url.netloc
