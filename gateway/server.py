"""The gateway's HTTP server: aiohttp's, with its own answer to requests that do not parse.

aiohttp answers a request it cannot parse (a header line over the limit, a malformed
request line) with a plain-text 400 whose body, like the log line it writes, quotes the
first bytes of the offending line: for an `Authorization` header, the token. Here such a
request gets problem+json instead (431 for a header line over the limit, 414 for a request
line over it, 400 otherwise) and the log names the kind of error only, never a value.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestHandler

from gateway.problems import problem

log = logging.getLogger("weft.gateway.http")


def classify(exc: BaseException | None) -> tuple[int, str, str]:
    """(status, code, detail) for a request aiohttp could not parse; never quotes it."""
    if isinstance(exc, LineTooLong):
        line = exc.args[0] if exc.args else b""
        # the target of an over-long request line comes first; a header's value otherwise
        if isinstance(line, bytes | bytearray | str) and line[:1] in (b"/", "/"):
            return 414, "uri_too_long", "The request target is too long (at most 8 KiB)"
        return 431, "header_too_large", "A request header line is too long (at most 8 KiB)"
    return 400, "malformed_request", "The request could not be parsed as HTTP/1.1"


class GatewayRequestHandler(RequestHandler):  # type: ignore[type-arg]
    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status != 500 and isinstance(exc, (HttpProcessingError, BadHttpMessage)):
            status, code, detail = classify(exc)
        elif status != 500:
            code, detail = "malformed_request", "The request could not be parsed as HTTP/1.1"
        else:
            code, detail = "internal_error", "An unexpected error occurred; it has been logged."
        # The error's text quotes the request's bytes (header values, tokens): log its kind.
        log.warning(
            "request refused before routing",
            extra={"status": status, "error": type(exc).__name__ if exc else None},
        )
        response = problem(status, code, detail, instance=None, request_id=uuid.uuid4().hex)
        response.force_close()
        return response


class GatewayServer(web.Server):
    def __call__(self) -> RequestHandler:  # type: ignore[type-arg]
        return GatewayRequestHandler(self, loop=self._loop, **self._kwargs)


class GatewayRunner(web.AppRunner):
    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # aiohttp builds its Server inside Application; ours only changes the handler class.
        server.__class__ = GatewayServer
        return server


def run(app: web.Application, *, host: str, port: int, max_header_line: int) -> None:
    """Serve `app` until SIGINT or SIGTERM (what `web.run_app` does, with our runner)."""
    try:
        import uvloop

        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    except ImportError:  # pragma: no cover - uvloop is a dependency, but stay runnable
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runner = GatewayRunner(
        app,
        handle_signals=True,
        access_log=None,
        shutdown_timeout=5.0,
        max_line_size=max_header_line,
        max_field_size=max_header_line,
    )

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, host, port).start()

    try:
        loop.run_until_complete(start())
        loop.run_forever()
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        loop.run_until_complete(runner.cleanup())
        loop.close()
