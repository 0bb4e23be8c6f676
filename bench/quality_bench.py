"""Quality benchmarks: `python -m bench quality` (a few minutes at most).

Starts its own Weft (temporary state, demo seed), then measures:
1. the live feed: 50 brand clients on the SSE stream; from a defect saved (the POST's
   answer) to the event at each client: p50/p95/max over 20 defects; floor: the p95 of a
   bare round trip through the gateway to quality (healthz), in the same run; and the feed
   hub's reads per defect (quality's /metrics: one shared read per wake-up, not one per
   stream);
2. a 40-photo photo book (960x720 JPEGs, annotated) rendered in process: time, pages and
   peak Python memory (tracemalloc); floor: decoding and re-encoding the 40 JPEGs alone;
3. the public passport page at its GS1 Digital Link (the gateway's root, HTML, no token)
   against the service's one-row read (an inspection by id, with a token), in the same
   run: req/s and p50 at 16 clients.
Each prints its floor and the ratio to it.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import statistics
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
from PIL import Image, ImageDraw

from services.quality.reports.pdf import PhotoData, ReportData, photo_book
from tools.run import bring_up
from tools.seed import SeedContext
from tools.seed.identity import login
from tools.stack import make_stack

Q, P = "/v1/quality", "/v1/production"
CLIENTS = 50
DEFECTS = 20


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    if resp.status_code != status:
        raise RuntimeError(f"{resp.request.method} {resp.request.url}: {resp.status_code}")
    return resp.json() if resp.content else {}


async def _inspection(
    gw: httpx.AsyncClient,
    ops: dict[str, str],
    admin: dict[str, str],
    inspector: dict[str, str],
    brand_id: str,
) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    plant = _ok(
        await gw.post(f"{P}/plants", headers=ops, json={"code": f"B-{tag}", "name": "Bench plant"}),
        201,
    )
    part = f"PART-{tag}"
    _ok(
        await gw.post(
            f"{P}/inventory/items",
            headers=ops,
            json={"plant_id": plant["id"], "sku": part, "name": part, "initial_quantity": "1000"},
        ),
        201,
    )
    product = _ok(
        await gw.post(
            f"{P}/products",
            headers=ops,
            json={"sku": f"BOX-{tag}", "name": "Box", "bom": [{"sku": part, "quantity": 1}]},
        ),
        201,
    )
    version = product["versions"][0]["id"]
    _ok(await gw.post(f"{P}/products/{product['id']}/versions/{version}/release", headers=ops))
    order = _ok(
        await gw.post(
            f"{P}/orders",
            headers=ops,
            json={
                "number": f"B-{tag}",
                "customer_tenant_id": brand_id,
                "plant_id": plant["id"],
                "product_id": product["id"],
                "quantity": 500,
                "unit_price": "1.00",
                "currency": "EUR",
                "due_date": "2026-12-31",
            },
        ),
        201,
    )
    _ok(await gw.post(f"{P}/orders/{order['id']}/allocate", headers=ops))
    lot = _ok(
        await gw.post(f"{P}/lots", headers=ops, json={"order_id": order["id"], "quantity": 500}),
        201,
    )
    for gate in ("in_production", "qa_pending"):
        _ok(await gw.post(f"{P}/lots/{lot['id']}/gate", headers=admin, json={"to": gate}))
    for _ in range(200):
        items = _ok(
            await gw.get(f"{Q}/inspections", headers=inspector, params={"lot_id": lot["id"]})
        )["items"]
        if items:
            break
        await asyncio.sleep(0.1)
    _ok(await gw.post(f"{Q}/inspections/{items[0]['id']}/start", headers=inspector))
    return items[0]  # type: ignore[no-any-return]


async def _listener(
    gw_url: str,
    headers: dict[str, str],
    lot_id: str,
    seen: dict[str, list[float]],
    ready: asyncio.Event,
    counter: list[int],
) -> None:
    async with (
        httpx.AsyncClient(base_url=gw_url, timeout=None) as c,
        c.stream(
            "GET",
            f"{Q}/feed/stream",
            headers={**headers, "Accept": "text/event-stream"},
            params={"lot_id": lot_id},
        ) as resp,
    ):
        counter[0] += 1
        if counter[0] == CLIENTS:
            ready.set()
        data = None
        async for line in resp.aiter_lines():
            if line.startswith("data: "):
                data = orjson.loads(line[6:])
            elif line == "" and data is not None:
                if data["type"] == "quality.defect.recorded":
                    seen.setdefault(data["data"]["description"], []).append(time.perf_counter())
                data = None


async def _feed_counters(quality_url: str) -> dict[str, float]:
    """The feed hub's counters from quality's /metrics (Prometheus text)."""
    async with httpx.AsyncClient(base_url=quality_url, timeout=30) as c:
        text = (await c.get("/metrics")).text
    out = {}
    for line in text.splitlines():
        if line.startswith("weft_quality_feed_"):
            name, _, value = line.partition(" ")
            out[name.removeprefix("weft_quality_feed_")] = float(value)
    return out


async def feed(gw_url: str, seed: SeedContext, quality_url: str) -> None:
    ops = {"Authorization": f"Bearer {login(seed, 'ops@paco.example', 'paco')}"}
    admin = {"Authorization": f"Bearer {login(seed, 'admin@paco.example', 'paco')}"}
    inspector = {"Authorization": f"Bearer {login(seed, 'inspector@paco.example', 'paco')}"}
    brand = {
        "Authorization": f"Bearer {login(seed, 'viewer@luxurybrandx.example', 'luxury-brand-x')}"
    }
    async with httpx.AsyncClient(base_url=gw_url, timeout=60) as gw:
        insp = await _inspection(gw, ops, admin, inspector, seed.data["tenants"]["luxury-brand-x"])
        seen: dict[str, list[float]] = {}
        ready = asyncio.Event()
        counter = [0]
        tasks = [
            asyncio.create_task(_listener(gw_url, brand, insp["lot_id"], seen, ready, counter))
            for _ in range(CLIENTS)
        ]
        await asyncio.wait_for(ready.wait(), 60)
        await asyncio.sleep(1)
        before = await _feed_counters(quality_url)
        latencies: list[float] = []
        for n in range(DEFECTS):
            text = f"bench defect {n}"
            resp = await gw.post(
                f"{Q}/inspections/{insp['id']}/defects",
                headers=inspector,
                json={"unit": 1, "severity": "minor", "description": text},
            )
            saved = time.perf_counter()
            _ok(resp, 201)
            deadline = saved + 10
            while len(seen.get(text, [])) < CLIENTS and time.perf_counter() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            got = seen.get(text, [])
            latencies.extend(max(0.0, t - saved) for t in got)
            latencies.extend([10.0] * (CLIENTS - len(got)))  # a miss counts as 10 s
        after = await _feed_counters(quality_url)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        floor: list[float] = []
        for _ in range(40):
            t = time.perf_counter()
            _ok(await gw.get(f"{Q}/healthz"))
            floor.append((time.perf_counter() - t) * 1000)
    ms = [v * 1000 for v in latencies]
    p95, floor95 = _pct(ms, 0.95), _pct(floor, 0.95)
    print(
        f"feed: {CLIENTS} SSE clients x {DEFECTS} defects: p50 {_pct(ms, 0.5):.0f} ms, "
        f"p95 {p95:.0f} ms, max {max(ms):.0f} ms (target p95 < 1000 ms); floor (gateway "
        f"round trip p95) {floor95:.1f} ms; ratio {p95 / floor95:.1f}"
    )
    reads = after.get("reads_total", 0) - before.get("reads_total", 0)
    wakeups = after.get("wakeups_total", 0) - before.get("wakeups_total", 0)
    print(
        f"feed hub: {after.get('streams', 0):.0f} open streams; {reads:.0f} feed reads for "
        f"{DEFECTS} defects over {wakeups:.0f} wake-ups ({reads / DEFECTS:.1f} per defect; "
        f"one per stream would be {CLIENTS})"
    )


def book() -> None:
    photos = []
    for i in range(40):
        img = Image.new("RGB", (960, 720), ((i * 37) % 255, 80, 120))
        ImageDraw.Draw(img).line((100, 100 + i * 10, 800, 600), fill=(255, 255, 255), width=5)
        out = io.BytesIO()
        img.save(out, format="JPEG", quality=85)
        photos.append(
            PhotoData(
                out.getvalue(),
                f"photo {i}",
                [{"kind": "box", "x": 0.1, "y": 0.1, "w": 0.3, "h": 0.2, "label": "flaw"}],
            )
        )
    data = ReportData("Paco", "BENCH-L01", "Gift Box Deluxe", 500, "Milano", None, [], photos)
    start = time.perf_counter()
    for photo in photos:  # the floor: the image work alone (decode, re-encode)
        out = io.BytesIO()
        Image.open(io.BytesIO(photo.image)).convert("RGB").save(out, format="JPEG", quality=85)
    floor = time.perf_counter() - start
    tracemalloc.start()
    start = time.perf_counter()
    pdf, pages = photo_book(data, lambda _p: None)
    took = time.perf_counter() - start
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"photo book: 40 photos -> {pages} pages, {len(pdf) / 1e6:.1f} MB in {took:.2f} s, "
        f"peak Python memory {peak / 1e6:.0f} MB; floor (decode + encode the JPEGs) "
        f"{floor:.2f} s; ratio {took / floor:.1f}"
    )


async def _hammer(
    gw_url: str, path: str, headers: dict[str, str], seconds: float = 3.0, clients: int = 16
) -> tuple[float, float]:
    times: list[float] = []
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=gw_url, timeout=30) as c:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                r = await c.get(path, headers=headers)
                if r.status_code != 200:
                    raise RuntimeError(f"{path}: {r.status_code}")
                times.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return len(times) / (time.perf_counter() - start), statistics.median(times) * 1000


async def passport(gw_url: str, seed: SeedContext) -> None:
    q = seed.data["quality"]
    admin = {"Authorization": f"Bearer {login(seed, 'admin@paco.example', 'paco')}"}
    link = str(q["digital_link"]).removeprefix(gw_url)
    page_rps, page_p50 = await _hammer(gw_url, link, {"Accept": "text/html"})
    one_rps, one_p50 = await _hammer(gw_url, f"{Q}/inspections/{q['inspection_id']}", admin)
    print(
        f"passport page (Digital Link {link}, HTML, no token): {page_rps:.0f} req/s, "
        f"p50 {page_p50:.1f} ms; floor: one-row read (inspection by id): {one_rps:.0f} req/s, "
        f"p50 {one_p50:.1f} ms; ratio (req/s) {page_rps / one_rps:.2f}"
    )


def main() -> None:
    book()
    state = Path(tempfile.mkdtemp(prefix="weft-bench-quality-"))
    stack = make_stack(state, fixed_ports=False, environment="test")
    try:
        seed = bring_up(stack, seed=True)
        assert seed is not None
        asyncio.run(feed(stack.gateway_url, seed, stack.service_url("quality")))
        asyncio.run(passport(stack.gateway_url, seed))
    finally:
        stack.stop()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
