"""`record_trace(...)`: the one way a trace row is written, by mocks and by test runs.

Headers that carry credentials are redacted and bodies are cut to `MAX_BODY` characters,
so a trace never keeps a secret or megabytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from services.partner.models import Trace

MAX_BODY = 8192
SECRET_HEADERS = frozenset(
    {"authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization"}
)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        k.lower(): ("[redacted]" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()
    }


def bounded(body: Any) -> Any:
    """A JSON value kept as it is when small, else its text cut to MAX_BODY characters."""
    if body is None or isinstance(body, (bool, int, float)):
        return body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        return body if len(body) <= MAX_BODY else body[:MAX_BODY] + "…[truncated]"
    text = orjson.dumps(body, default=str).decode()
    return body if len(text) <= MAX_BODY else text[:MAX_BODY] + "…[truncated]"


async def record_trace(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    customer_tenant_id: uuid.UUID | None,
    project_id: uuid.UUID,
    source: str,
    method: str,
    path: str,
    status: int,
    duration_ms: float,
    request_headers: Mapping[str, str],
    request_body: Any,
    response_headers: Mapping[str, str],
    response_body: Any,
    query: Mapping[str, str] | None = None,
    operation_id: str | None = None,
    mock_id: uuid.UUID | None = None,
    run_id: uuid.UUID | None = None,
    actor: str | None = None,
) -> Trace:
    trace = Trace(
        tenant_id=tenant_id,
        customer_tenant_id=customer_tenant_id,
        project_id=project_id,
        source=source,
        mock_id=mock_id,
        run_id=run_id,
        operation_id=operation_id,
        method=method.upper(),
        path=path[:2000],
        status=status,
        duration_ms=duration_ms,
        request={
            "headers": redact_headers(request_headers),
            "query": dict(query or {}),
            "body": bounded(request_body),
        },
        response={"headers": redact_headers(response_headers), "body": bounded(response_body)},
        actor=actor,
    )
    session.add(trace)
    await session.flush()
    return trace
