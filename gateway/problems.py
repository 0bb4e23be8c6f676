"""RFC 9457 problem+json answers from the gateway itself (the kit's one builder)."""

from __future__ import annotations

import orjson
from aiohttp import web

from libs.common.errors import PROBLEM_JSON, AppError, problem_body

_TITLES = {
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str | None,
    request_id: str,
    title: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body = orjson.dumps(
        problem_body(
            status,
            code,
            title or _TITLES.get(status),
            detail,
            instance,
            request_id=request_id,
        )
    )
    out = {"Content-Type": PROBLEM_JSON, "X-Request-Id": request_id}
    if headers:
        out.update(headers)
    return web.Response(body=body, status=status, headers=out)


def from_error(exc: AppError, *, instance: str, request_id: str) -> web.Response:
    return problem(
        exc.status,
        exc.code,
        exc.detail,
        instance=instance,
        request_id=request_id,
        title=exc.title,
        headers=exc.headers,
    )
