"""Test doubles for the gateway: signing keys and tokens, a fake backend, gateway processes.

The fake backend is one aiohttp app in the test process: it serves a JWKS of our own key
and answers every other path by echoing the request back, so a test can see exactly what
the gateway forwarded. Services are mounted under `/svc/<name>` (the gateway is given
base urls with that prefix), and `/svc/<name>/openapi.json` serves a spec per service.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwt

from tools.pg import free_port
from tools.services import ROOT

ISSUER = "https://identity.weft.local"
AUDIENCE = "weft"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class SigningKey:
    kid: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    @property
    def private_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    @property
    def public_pem(self) -> str:
        return (
            self.key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    @property
    def jwk(self) -> dict[str, str]:
        numbers = self.key.public_key().public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "alg": "ES256",
            "use": "sig",
            "kid": self.kid,
            "x": _b64(numbers.x.to_bytes(32, "big")),
            "y": _b64(numbers.y.to_bytes(32, "big")),
        }


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    out: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(uuid.uuid4()),
        "tid": str(uuid.uuid4()),
        "space": "PROVIDER",
        "roles": ["ADMIN"],
        "perms": ["*:*"],
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    out.update(overrides)
    return {k: v for k, v in out.items() if v is not None}


def sign(key: SigningKey, kid: str | None = None, **overrides: Any) -> str:
    return jwt.encode(
        claims(**overrides),
        key.private_pem,
        algorithm="ES256",
        headers={"kid": kid or key.kid},
    )


def unsigned(kid: str, alg: str, secret: bytes | None = None, **overrides: Any) -> str:
    """A token with any `alg`, signed by hand (jose refuses to misuse keys, attackers don't)."""
    header = _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": kid}).encode())
    payload = _b64(json.dumps(claims(**overrides)).encode())
    signing_input = f"{header}.{payload}".encode()
    sig = b"" if secret is None else hmac.new(secret, signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(sig)}"


# --- the fake backend --------------------------------------------------------------------


class Backend:
    def __init__(self, jwks: dict[str, Any], specs: dict[str, dict[str, Any]]) -> None:
        self.jwks = jwks
        self.specs = specs
        self.seen: list[dict[str, Any]] = []  # every echoed request
        self.url = ""
        self._runner: web.AppRunner | None = None

    def service_url(self, name: str) -> str:
        return f"{self.url}/svc/{name}"

    def reached(self, request_id: str) -> bool:
        return any(r["headers"].get("x-request-id") == request_id for r in self.seen)

    async def _jwks(self, request: web.Request) -> web.Response:
        return web.json_response(self.jwks)

    async def _openapi(self, request: web.Request) -> web.Response:
        spec = self.specs.get(request.match_info["name"])
        if spec is None:
            return web.json_response({"detail": "no spec"}, status=404)
        return web.Response(body=orjson.dumps(spec), content_type="application/json")

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """A live feed: three events 0.4 s apart (longer, in all, than the gateway's timeout)."""
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for i in range(3):
            await resp.write(f'id: {i}\ndata: {{"n": {i}}}\n\n'.encode())
            await asyncio.sleep(0.4)
        await resp.write_eof()
        return resp

    async def _echo(self, request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/events/stream"):
            return await self._events(request)
        if request.path.endswith("/slow"):
            await asyncio.sleep(float(request.query.get("s", "5")))
        body = await request.read()
        record = {
            "method": request.method,
            "raw_path": request.raw_path,
            "path": request.path,
            "query": request.query_string,
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "header_list": [[k.lower(), v] for k, v in request.headers.items()],
            "body": body.decode("latin-1"),
        }
        self.seen.append(record)
        status = int(request.query.get("status", "200"))
        return web.json_response(
            record, status=status, headers={"X-Upstream": "echo", "X-Request-Id": "upstream-id"}
        )

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/.well-known/jwks.json", self._jwks)
        app.router.add_get("/svc/{name}/openapi.json", self._openapi)
        app.router.add_route("*", "/{tail:.*}", self._echo)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


# --- gateway processes -------------------------------------------------------------------


@dataclass
class GatewayProcess:
    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _spawn(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "gateway"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def start_gateway(env: dict[str, str], log_dir: Path) -> GatewayProcess:
    """`python -m gateway` with WEFT_GATEWAY_* from `env`, waited for until /healthz is 200."""
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("WEFT_")}
    full.update({"PYTHONPATH": str(ROOT), "WEFT_GATEWAY_PORT": str(port)})
    full.update(env)
    log_path = log_dir / f"gateway-{port}.log"
    proc = _spawn(full, log_path)
    gw = GatewayProcess(f"http://127.0.0.1:{port}", proc, log_path)
    deadline = time.monotonic() + float(os.environ.get("WEFT_STACK_START_TIMEOUT", "20"))
    async with httpx.AsyncClient(timeout=1.0) as client:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gateway exited with {proc.returncode}:\n{gw.log()}")
            try:
                if (await client.get(f"{gw.url}/healthz")).status_code == 200:
                    return gw
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                gw.stop()
                raise RuntimeError(f"gateway not healthy:\n{gw.log()}")
            await asyncio.sleep(0.1)
