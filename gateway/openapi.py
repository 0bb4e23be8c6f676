"""The merged OpenAPI document the gateway serves: the services' specs, fetched and merged
by `libs.openapi.merge` under their /v1/<service> prefixes (rules there), with the access
rules of the gateway's route table and the gateway's public address as `servers`."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
import orjson

from gateway.routes import RouteTable
from libs.contracts import webhooks_openapi
from libs.openapi.merge import merge

log = logging.getLogger("weft.gateway.openapi")

DESCRIPTION = (
    "The Weft API: every service behind one gateway under `/v1/<service>`, and GS1 Digital "
    "Link URIs of published passports at the root (`/01/{gtin}/10/{lot}`). "
    "Authenticate with a bearer access token from `POST /v1/identity/auth/login` or "
    "`POST /v1/identity/auth/token`. Errors are RFC 9457 problem details "
    "(`application/problem+json`, one `Problem` schema, a stable `code`). Requests are "
    "rate-limited per tenant, per API client and per address (RateLimit headers)."
)


def merged_document(
    specs: dict[str, dict[str, Any]], table: RouteTable, *, server_url: str = "/"
) -> dict[str, Any]:
    # every event type as a webhook with its typed payload, from the same models producers
    # emit (libs.contracts)
    webhooks, schemas = webhooks_openapi()
    return merge(
        specs,
        table.access,
        description=DESCRIPTION,
        servers=[{"url": server_url, "description": "The Weft gateway"}],
        webhooks=webhooks,
        webhook_schemas=schemas,
        at_root=table.at_root,
    )


class OpenAPIAggregator:
    """Fetches the services' specs (at start-up with retries, then lazily) and merges them."""

    def __init__(
        self,
        service_urls: dict[str, str],
        table: RouteTable,
        *,
        refresh_seconds: float,
        timeout: float,
    ) -> None:
        self.service_urls = {k: v.rstrip("/") for k, v in service_urls.items()}
        self.table = table
        self.refresh_seconds = refresh_seconds
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.specs: dict[str, dict[str, Any]] = {}
        self._documents: dict[str, bytes] = {}
        self._fetched_at = 0.0
        self._refreshing: asyncio.Task[None] | None = None

    async def fetch(self, *, quiet: bool = False) -> None:
        level = logging.DEBUG if quiet else logging.WARNING
        async with aiohttp.ClientSession(timeout=self.timeout) as session:

            async def one(name: str, url: str) -> None:
                try:
                    async with session.get(f"{url}/openapi.json") as resp:
                        if resp.status == 200:
                            self.specs[name] = await resp.json(loads=orjson.loads)
                            return
                        log.log(
                            level,
                            "openapi fetch failed",
                            extra={"svc": name, "status": resp.status},
                        )
                except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                    log.log(level, "openapi fetch failed", extra={"svc": name, "error": repr(exc)})

            await asyncio.gather(*(one(n, u) for n, u in self.service_urls.items()))
        self._fetched_at = time.monotonic()
        self._documents = {}

    async def warm(self, attempts: int = 20) -> None:
        """At start-up the services start alongside the gateway: retry until all answer."""
        delay = 0.5
        for attempt in range(attempts):
            await self.fetch(quiet=attempt + 1 < attempts)
            if len(self.specs) == len(self.service_urls):
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _refresh_in_background(self) -> None:
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self.fetch())

    async def document(self, server_url: str = "/") -> bytes:
        stale = time.monotonic() - self._fetched_at > self.refresh_seconds
        if not self.specs or len(self.specs) < len(self.service_urls):
            if stale or self._fetched_at == 0.0:
                await self.fetch()  # nothing (or not everything) yet: wait for it this once
        elif stale:
            self._refresh_in_background()
        doc = self._documents.get(server_url)
        if doc is None:
            if len(self._documents) > 16:  # bounded: a server url per Host a client sends
                self._documents.clear()
            doc = orjson.dumps(merged_document(self.specs, self.table, server_url=server_url))
            self._documents[server_url] = doc
        return doc

    async def close(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()


SWAGGER_UI = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Weft API</title>
  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
    });
  </script>
</body>
</html>
"""
