"""Nothing lost, nothing doubled: crashes of sync, of a relay, and sync being away.

The receiver sees every event at least once (and dedupes by webhook-id); sync stores each
event once and keeps one ledger row per (event, endpoint).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from standardwebhooks.webhooks import Webhook

from tests.sync.conftest import TYPE, Hit, Receiver, ingest, make_event, subscribe
from tools.stack import Stack


async def _ledger_ok(db: asyncpg.Connection, endpoint_id: str, event_ids: list[str]) -> None:
    ids = [uuid.UUID(e) for e in event_ids]
    for _ in range(300):
        rows = await db.fetch(
            "SELECT event_id, status FROM sync.deliveries WHERE endpoint_id = $1",
            uuid.UUID(endpoint_id),
        )
        if len(rows) == len(ids) and all(r["status"] == "succeeded" for r in rows):
            break
        await asyncio.sleep(0.1)
    assert sorted(str(r["event_id"]) for r in rows) == sorted(event_ids)
    assert all(r["status"] == "succeeded" for r in rows)
    assert await db.fetchval("SELECT count(*) FROM sync.events WHERE id = ANY($1)", ids) == len(ids)


async def _outbox_insert(db: asyncpg.Connection, events: list[dict[str, Any]]) -> None:
    """Rows as quality's own code would write them (emit_event), committed, with the NOTIFY."""
    async with db.transaction():
        for e in events:
            await db.execute(
                "INSERT INTO quality.outbox (id, type, tenant_id, subject, occurred_at, data) "
                "VALUES ($1, $2, $3, $4, now(), $5)",
                uuid.UUID(e["id"]),
                e["type"],
                uuid.UUID(e["tenant_id"]),
                e["subject"],
                json.dumps(e["data"]),
            )
        await db.execute("SELECT pg_notify('weft_outbox', 'quality')")


async def _all_sent(db: asyncpg.Connection, events: list[dict[str, Any]], wait: float = 40) -> None:
    ids = [uuid.UUID(e["id"]) for e in events]
    for _ in range(int(wait * 10)):
        left = await db.fetchval(
            "SELECT count(*) FROM quality.outbox WHERE id = ANY($1) AND sent_at IS NULL", ids
        )
        if left == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("outbox rows still unsent")


def _tcp_sockets() -> list[list[str]]:
    rows: list[list[str]] = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        rows += [line.split() for line in Path(table).read_text().splitlines()[1:]]
    return rows


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1], 16)


def _unread_from(client_pid: int, port: int) -> int:
    """Bytes process `client_pid` sent to `port` that the server has not read yet (Linux)."""
    inodes = set()
    for fd in Path(f"/proc/{client_pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    sockets = _tcp_sockets()
    # the client's own ends of its connections to `port`, by their local ports
    client_ports = {_port(f[1]) for f in sockets if _port(f[2]) == port and f[9] in inodes}
    return sum(
        int(f[4].split(":")[1], 16)  # rx_queue of the server's end
        for f in sockets
        if _port(f[1]) == port and _port(f[2]) in client_ports
    )


async def _until_request_waits(client_pid: int, port: int, wait: float = 20) -> None:
    """Until a request from `client_pid` to `port` sits unread (its stopped server cannot read)."""
    for _ in range(int(wait * 10)):
        if _unread_from(client_pid, port) > 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no request reached port {port}")


async def _log_line(path: Path, offset: int, wanted: dict[str, str], wait: float = 20) -> None:
    for _ in range(int(wait * 10)):
        lines = [json.loads(x) for x in _read_from(path, offset) if x.startswith(b"{")]
        if any(all(x.get(k) == v for k, v in wanted.items()) for x in lines):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no log line {wanted} in {path.name}")


def _size(path: Path) -> int:
    return path.stat().st_size


def _read_from(path: Path, offset: int) -> list[bytes]:
    with path.open("rb") as f:
        f.seek(offset)
        return f.read().splitlines()


async def test_sync_killed_mid_delivery(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    tenants: dict[str, str],
    db: asyncpg.Connection,
) -> None:
    slow = {"on": True}

    def answer(_h: Hit, _n: int) -> tuple[int, dict[str, str], float]:
        return 200, {}, (0.5 if slow["on"] else 0.0)

    receiver.behaviours["kill"] = answer
    ep = await subscribe(gateway, admin_headers, receiver.url("kill"), [TYPE])
    events = [make_event(TYPE, tenants["paco"]) for _ in range(30)]
    await ingest(stack, events)
    await receiver.wait_for("kill", lambda h: len(h) >= 5)
    await asyncio.to_thread(stack.restart, "sync")  # SIGKILL with deliveries in flight
    slow["on"] = False
    wanted = {e["id"] for e in events}
    await receiver.wait_for("kill", lambda h: {x.webhook_id for x in h} >= wanted, wait=60)
    wh = Webhook(ep["secret"])
    for hit in receiver.hits["kill"]:
        wh.verify(hit.body, hit.headers)
    await _ledger_ok(db, ep["id"], sorted(wanted))


async def test_relay_killed_between_send_and_ack(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    tenants: dict[str, str],
    db: asyncpg.Connection,
) -> None:
    ep = await subscribe(gateway, admin_headers, receiver.url("relay"), [TYPE])
    events = [make_event(TYPE, tenants["paco"]) for _ in range(5)]
    sync_log = stack.log_path("sync")
    log_start = _size(sync_log)
    sync_pid = stack.procs["sync"].pid
    os.kill(sync_pid, signal.SIGSTOP)  # sync receives the batch but cannot acknowledge it
    try:
        await _outbox_insert(db, events)
        # quality's relay has sent and waits for the answer
        await _until_request_waits(stack.procs["quality"].pid, stack.config.service_ports["sync"])
        await asyncio.to_thread(stack.restart, "quality")  # ... and dies waiting
    finally:
        os.kill(sync_pid, signal.SIGCONT)
    await _all_sent(db, events)
    wanted = {e["id"] for e in events}
    await receiver.wait_for("relay", lambda h: {x.webhook_id for x in h} >= wanted, wait=30)
    await _ledger_ok(db, ep["id"], sorted(wanted))
    # the batch went twice (the first answer never reached the killed relay); stored once
    # (whichever copy sync reads second is the duplicate, and it may come after the ledger)
    await _log_line(sync_log, log_start, {"msg": "duplicate events ignored", "sender": "quality"})


async def test_relay_retries_while_sync_is_away(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    tenants: dict[str, str],
    db: asyncpg.Connection,
) -> None:
    ep = await subscribe(gateway, admin_headers, receiver.url("away"), [TYPE])
    events = [make_event(TYPE, tenants["paco"]) for _ in range(5)]
    proc = stack.procs["sync"]
    proc.kill()
    proc.wait()
    try:
        await _outbox_insert(db, events)
        await asyncio.sleep(1.5)
        errors = await db.fetch(
            "SELECT attempts, last_error FROM quality.outbox WHERE id = ANY($1)",
            [uuid.UUID(e["id"]) for e in events],
        )
        assert all(r["attempts"] >= 1 and r["last_error"] for r in errors)
    finally:
        await asyncio.to_thread(stack.restart, "sync")
    await _all_sent(db, events)
    wanted = {e["id"] for e in events}
    await receiver.wait_for("away", lambda h: {x.webhook_id for x in h} >= wanted, wait=30)
    await _ledger_ok(db, ep["id"], sorted(wanted))
