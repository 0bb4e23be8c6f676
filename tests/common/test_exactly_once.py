"""Exactly once: a request with an Idempotency-Key and the key's outcome commit together.

A second production process runs with the test-only crash point armed for one path: it
dies (os._exit) right after the request's commit, before the response leaves. The client
sees the connection drop and retries with the same key against the running service: the
stored response replays, and the stock was received once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.production.conftest import Factory, Tokens, ok
from tools.pg import free_port
from tools.services import ROOT, SERVICES
from tools.stack import Stack

pytestmark = pytest.mark.e2e


class Crashing:
    def __init__(self, stack: Stack, path: str, log_path: Path) -> None:
        spec = next(s for s in SERVICES if s.name == "production")
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("WEFT_")}
        env.update(stack.service_env(spec))
        env["PYTHONPATH"] = str(ROOT)
        env[f"{spec.env_prefix}RELAY_ENABLED"] = "false"
        env[f"{spec.env_prefix}CRASH_AFTER_COMMIT_PATH"] = path
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    spec.app,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--no-access-log",
                ],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(log_path.read_text()[-3000:])
            time.sleep(0.1)
        raise RuntimeError("crashing production did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def crashing() -> Iterator[list[Crashing]]:
    started: list[Crashing] = []
    yield started
    for proc in started:
        proc.stop()


async def test_crash_between_commit_and_response_replays_on_retry(
    stack: Stack,
    prod: httpx.AsyncClient,
    factory: Factory,
    tokens: Tokens,
    tmp_path: Path,
    crashing: list[Crashing],
) -> None:
    plant = await factory.plant()
    item = await factory.item(plant["id"], factory.sku("crash"), "0")
    path = f"/inventory/items/{item['id']}/movements"
    victim = Crashing(stack, path, tmp_path / "crashing-production.log")
    crashing.append(victim)

    key = uuid.uuid4().hex
    headers = tokens.headers("ops", **{"Idempotency-Key": key})
    body = {"kind": "receipt", "quantity": "7", "reference": "crash-test"}
    async with httpx.AsyncClient(base_url=victim.url, timeout=30) as client:
        with pytest.raises(httpx.TransportError):
            await client.post(path, json=body, headers=headers)
    assert victim.proc.wait(timeout=10) == 70, victim.log_path.read_text()[-2000:]
    assert "test crash point reached" in victim.log_path.read_text()

    # the client never heard the answer: it retries with the same key
    retry = await prod.post(path, json=body, headers=headers)
    assert retry.status_code == 201, retry.text
    assert retry.headers.get("idempotent-replayed") == "true"
    again = await prod.post(path, json=body, headers=headers)
    assert again.status_code == 201
    assert again.json() == retry.json()

    ledger = ok(await prod.get(f"/inventory/items/{item['id']}/ledger", headers=factory.h))
    receipts = [e for e in ledger["items"] if e["kind"] == "receipt"]
    assert len(receipts) == 1, ledger
    fresh = ok(await prod.get(f"/inventory/items/{item['id']}", headers=factory.h))
    assert Decimal(fresh["on_hand"]) == Decimal("7")


async def test_error_inside_the_request_rolls_back_its_writes_and_is_stored(
    prod: httpx.AsyncClient, factory: Factory, tokens: Tokens
) -> None:
    """A refused request (409 insufficient stock) under a key: nothing of it is written,
    and 409 is not stored, so the same key may be retried once stock arrives."""
    plant = await factory.plant()
    item = await factory.item(plant["id"], factory.sku("refuse"), "1")
    path = f"/inventory/items/{item['id']}/movements"
    key = uuid.uuid4().hex
    headers = tokens.headers("ops", **{"Idempotency-Key": key})
    issue = {"kind": "issue", "quantity": "5"}
    refused = await prod.post(path, json=issue, headers=headers)
    assert refused.status_code == 409, refused.text
    ok(await prod.post(path, json={"kind": "receipt", "quantity": "10"}, headers=factory.h), 201)
    done = await prod.post(path, json=issue, headers=headers)
    assert done.status_code == 201, done.text
    assert "idempotent-replayed" not in done.headers
    replay = await prod.post(path, json=issue, headers=headers)
    assert replay.headers.get("idempotent-replayed") == "true"
    fresh = ok(await prod.get(f"/inventory/items/{item['id']}", headers=factory.h))
    assert Decimal(fresh["on_hand"]) == Decimal("6")
