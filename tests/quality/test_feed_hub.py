"""The live feed's hub on the real database: the streams of one tenant share one read per
wake-up, and each stream keeps only what its principal may see (the rule the per-stream
query uses, checked against that query). Fresh tenants per test: the rows are committed
(the hub reads them from its own transactions, woken by the commit's NOTIFY)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from functools import partial

import orjson
import pytest
from sqlalchemy import select

from libs.common.auth import Principal, Space
from libs.common.db import Database
from services.quality.access import can_read, visible
from services.quality.events import append_to_feed
from services.quality.feed import service
from services.quality.feed.hub import FeedHub
from services.quality.models import FeedEntry
from tools.stack import Stack

PERM = "inspections:read"


def _principal(
    tenant: uuid.UUID,
    space: Space,
    *,
    parent: uuid.UUID | None = None,
    perms: frozenset[str] = frozenset({PERM}),
    plants: dict[uuid.UUID, frozenset[str]] | None = None,
) -> Principal:
    return Principal(
        subject=str(uuid.uuid4()),
        tenant_id=tenant,
        space=space,
        roles=frozenset(),
        permissions=perms,
        token_id=uuid.uuid4().hex,
        expires_at=int(time.time()) + 600,
        parent_tenant_id=parent,
        plant_permissions=plants or {},
    )


@dataclass
class Network:
    provider: uuid.UUID
    brand_a: uuid.UUID
    brand_b: uuid.UUID
    plant: uuid.UUID

    def staff(self) -> Principal:
        return _principal(self.provider, Space.PROVIDER)

    def brand(self, brand: uuid.UUID) -> Principal:
        return _principal(brand, Space.CLIENT, parent=self.provider)


@pytest.fixture
def network() -> Network:
    return Network(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4())


@pytest.fixture
async def db(database: Stack) -> AsyncIterator[Database]:
    out = Database(database.service_dsn("quality"), schema="quality", pool_size=4)
    yield out
    await out.dispose()


@pytest.fixture
async def hub(db: Database) -> AsyncIterator[FeedHub]:
    # no poll within a test: every reader pass is a NOTIFY's
    out = FeedHub(db, poll_seconds=600)
    await out.start()
    yield out
    await out.stop()


async def _write(
    db: Database,
    owner: uuid.UUID,
    customer: uuid.UUID | None,
    text: str,
    plant: uuid.UUID | None = None,
) -> None:
    """One committed feed row, as quality's writers add them (lock, row, NOTIFY)."""
    async with db.transaction(owner) as session:
        await append_to_feed(
            session,
            FeedEntry(
                tenant_id=owner,
                customer_tenant_id=customer,
                plant_id=plant,
                lot_id=None,
                event_id=uuid.uuid4(),
                type="quality.defect.recorded",
                subject=f"defect/{text}",
                data={"description": text},
            ),
        )


class Stream:
    """One SSE stream of the service, read in the background into `seen`."""

    def __init__(self, db: Database, hub: FeedHub, principal: Principal) -> None:
        self.seen: list[str] = []
        self._gen = service.stream(db, hub, principal, None, None, keepalive=30)
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for chunk in self._gen:
            if chunk.startswith(b"id:"):
                data = chunk.split(b"data: ", 1)[1]
                self.seen.append(orjson.loads(data)["data"]["description"])

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._gen.aclose()


@contextlib.asynccontextmanager
async def _streams(db: Database, hub: FeedHub, *who: Principal) -> AsyncIterator[list[Stream]]:
    open_before = hub.streams
    streams = [Stream(db, hub, p) for p in who]
    try:
        await _until(lambda: hub.streams == open_before + len(who))
        yield streams
    finally:
        for s in streams:
            await s.close()


def _has(stream: Stream, count: int) -> bool:
    return len(stream.seen) == count


async def _until(check: Callable[[], bool], wait: float = 10) -> None:
    deadline = time.monotonic() + wait
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_streams_of_one_tenant_share_one_read_per_wakeup(
    db: Database, hub: FeedHub, network: Network
) -> None:
    a, b = network.brand_a, network.brand_b
    staff, brand_a, brand_a2, brand_b = (
        network.staff(),
        network.brand(a),
        network.brand(a),
        network.brand(b),
    )
    async with _streams(db, hub, staff, brand_a, brand_a2, brand_b) as (s, a1, a2, b1):
        await asyncio.sleep(0.3)  # each stream's own catch-up read is done (nothing to read)
        for n, customer in enumerate((a, b, a)):
            before = (hub.metrics.wakeups, hub.metrics.reads)
            await _write(db, network.provider, customer, f"row {n}")
            await _until(partial(_has, s, n + 1))
            await asyncio.sleep(0.1)
            # four streams, one tenant: one reader pass, one query
            assert (hub.metrics.wakeups - before[0], hub.metrics.reads - before[1]) == (1, 1)
        await _until(lambda: len(a1.seen) == 2 and len(a2.seen) == 2 and len(b1.seen) == 1)
    assert s.seen == ["row 0", "row 1", "row 2"]
    assert a1.seen == a2.seen == ["row 0", "row 2"]
    assert b1.seen == ["row 1"]
    assert hub.streams == 0


async def test_a_brand_never_sees_another_brands_or_another_providers_rows(
    db: Database, hub: FeedHub, network: Network
) -> None:
    other_provider = uuid.uuid4()
    brand_a = network.brand(network.brand_a)
    # a token of brand A naming another provider as its parent: both halves must hold
    stray = _principal(network.brand_a, Space.CLIENT, parent=other_provider)
    async with _streams(db, hub, brand_a, stray) as (a, s):
        await _write(db, network.provider, network.brand_b, "for b")
        await _write(db, network.provider, None, "provider only")
        await _write(db, other_provider, network.brand_a, "a's, from another provider")
        await _write(db, network.provider, network.brand_a, "for a")
        await _until(lambda: len(a.seen) == 1)
        await _write(db, network.provider, network.brand_a, "for a again")
        await _until(lambda: len(a.seen) == 2)
        await _until(lambda: len(s.seen) == 1)
    assert a.seen == ["for a", "for a again"]
    assert s.seen == ["a's, from another provider"]


async def test_a_stream_opened_after_rows_catches_up_then_follows_once(
    db: Database, hub: FeedHub, network: Network
) -> None:
    staff = network.staff()
    for n in range(3):
        await _write(db, network.provider, network.brand_a, f"early {n}")
    async with _streams(db, hub, staff) as (first,):
        await _until(lambda: len(first.seen) == 3)
        async with _streams(db, hub, staff, network.brand(network.brand_a)) as (second, brand):
            await _write(db, network.provider, network.brand_a, "late")
            await _until(lambda: len(second.seen) == 4 and len(brand.seen) == 4)
            await asyncio.sleep(0.2)
    expected = ["early 0", "early 1", "early 2", "late"]
    assert first.seen == second.seen == brand.seen == expected


def _principals(net: Network) -> Iterator[tuple[str, Principal]]:
    p1 = net.plant
    yield "staff", net.staff()
    yield (
        "staff of plant 1",
        _principal(net.provider, Space.PROVIDER, perms=frozenset(), plants={p1: frozenset({PERM})}),
    )
    yield (
        "staff without the permission",
        _principal(net.provider, Space.PROVIDER, perms=frozenset({"lots:read"})),
    )
    yield "brand a", net.brand(net.brand_a)
    yield (
        "brand a without the permission",
        _principal(net.brand_a, Space.CLIENT, parent=net.provider, perms=frozenset()),
    )
    yield "brand a without a parent", _principal(net.brand_a, Space.CLIENT)
    yield "brand b", net.brand(net.brand_b)
    yield "developer", _principal(net.provider, Space.DEVELOPER)
    yield "wildcard staff", _principal(net.provider, Space.PROVIDER, perms=frozenset({"*:*"}))


async def test_the_streams_rule_is_the_per_stream_querys_rule(
    db: Database, network: Network
) -> None:
    net = network
    other = uuid.uuid4()
    for owner in (net.provider, other):
        for customer in (None, net.brand_a, net.brand_b):
            for plant in (None, net.plant, uuid.uuid4()):
                await _write(db, owner, customer, "x", plant)
    tenants = (net.provider, other)
    async with db.transaction(system=True) as session:
        rows = list(
            (await session.scalars(select(FeedEntry).where(FeedEntry.tenant_id.in_(tenants)))).all()
        )
        assert len(rows) == 18
        for name, principal in _principals(net):
            query = set(
                (
                    await session.scalars(
                        select(FeedEntry.seq).where(
                            FeedEntry.tenant_id.in_(tenants), visible(FeedEntry, principal, PERM)
                        )
                    )
                ).all()
            )
            in_memory = {
                r.seq
                for r in rows
                if can_read(
                    principal,
                    PERM,
                    tenant_id=r.tenant_id,
                    customer_tenant_id=r.customer_tenant_id,
                    plant_id=r.plant_id,
                )
            }
            assert in_memory == query, name
    # and the rule is not vacuous
    assert 0 < len(query) < 18
