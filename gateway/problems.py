"""RFC 9457 problem+json answers from the gateway itself (same shape as libs.common.errors)."""

from __future__ import annotations

from http import HTTPStatus

import orjson
from aiohttp import web

from libs.common.errors import PROBLEM_BASE, PROBLEM_JSON, AppError

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
    instance: str,
    request_id: str,
    title: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body = orjson.dumps(
        {
            "type": PROBLEM_BASE + code,
            "title": title or _TITLES.get(status) or HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
            "instance": instance,
            "code": code,
            "request_id": request_id,
        }
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
