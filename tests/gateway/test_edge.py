"""What the gateway answers before any route: requests that do not parse, and its logs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson

from tests.gateway.fakes import GatewayProcess

TOKEN_PREFIX = "Bearer eyJhbGciOiJFUzI1NiIsImtpZCI6InNlY3JldC1tYXJrZXIifQ"


def _read(path: Path) -> str:
    return path.read_text(errors="replace")


async def _raw(url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


async def test_header_line_over_8_kib_is_431_problem_and_never_logged(
    gw_proc: GatewayProcess,
) -> None:
    secret = TOKEN_PREFIX + "A" * 9000
    request = (
        b"GET /v1/production/products HTTP/1.1\r\nHost: gw\r\n"
        b"Authorization: " + secret.encode() + b"\r\n\r\n"
    )
    status, headers, body = await _raw(gw_proc.url, request)
    assert status == 431
    assert headers["content-type"] == "application/problem+json"
    problem = orjson.loads(body)
    assert problem["status"] == 431
    assert problem["code"] == "header_too_large"
    assert problem["request_id"] == headers["x-request-id"]
    assert "eyJ" not in body.decode()
    log = _read(gw_proc.log_path)
    for _ in range(100):  # the log line is written after the answer
        if "request refused before routing" in log:
            break
        await asyncio.sleep(0.1)
        log = _read(gw_proc.log_path)
    assert "request refused before routing" in log
    assert "eyJhbGciOiJFUzI1NiIsImtpZCI6InNlY3JldC1tYXJrZXIifQ" not in log
    assert "AAAAAAAAAAAAAAAA" not in log


async def test_header_line_under_the_limit_passes(gw_proc: GatewayProcess) -> None:
    request = (
        b"GET /healthz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n"
        b"X-Padding: " + b"a" * 8000 + b"\r\n\r\n"
    )
    status, _, _ = await _raw(gw_proc.url, request)
    assert status == 200


async def test_request_line_over_the_limit_is_414_problem(gw_proc: GatewayProcess) -> None:
    request = b"GET /v1/production/" + b"x" * 9000 + b" HTTP/1.1\r\nHost: gw\r\n\r\n"
    status, headers, body = await _raw(gw_proc.url, request)
    assert status == 414
    assert headers["content-type"] == "application/problem+json"
    assert b"xxxxxxxx" not in body
